package io.cryptun.routing.reactor;

import io.cryptun.routing.NodeId;
import io.cryptun.routing.bmx7.Bmx7Description;
import io.cryptun.routing.bmx7.Bmx7Options;
import io.cryptun.routing.bmx7.Originator;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One reading of what bmx7 knows, whichever way it was read.
 *
 * @param self          this node's id, or null when bmx7 did not say (yet)
 * @param descriptions  descriptions read whole and verified (key hashes to id)
 * @param originators   bmx7's routing view of each node
 * @param smsContents   bytes of each node's cryptun sms as read now (maybe half-written)
 * @param authoritative true when a node missing here is gone (a consistent snapshot, as the control
 *                      socket gives); false when it may be a file caught mid-rewrite
 * @param problems      files or answers that could not be used this time, for diagnostics
 * @param parameters    bmx7's configuration now (the options cryptun set through the socket among
 *                      them), or null when it could not be read this time
 */
public record Bmx7Reading(NodeId self, Map<NodeId, Bmx7Description> descriptions, Map<NodeId, Originator> originators,
                          Map<NodeId, byte[]> smsContents, boolean authoritative, List<String> problems,
                          Bmx7Options parameters) {
    public Bmx7Reading {
        descriptions = Collections.unmodifiableMap(new TreeMap<>(descriptions));
        originators = Collections.unmodifiableMap(new TreeMap<>(originators));
        smsContents = Collections.unmodifiableMap(new TreeMap<>(smsContents));
        problems = List.copyOf(problems);
    }
}
