package io.cryptun.routing.reactor;

import io.cryptun.routing.NodeId;
import io.cryptun.routing.bmx7.Bmx7ControlClient;
import io.cryptun.routing.bmx7.Bmx7Description;
import io.cryptun.routing.bmx7.Bmx7Options;
import io.cryptun.routing.bmx7.Bmx7Table;
import io.cryptun.routing.bmx7.Originator;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Reads bmx7's view through its control socket: {@code show=status /r=0} for this node's id,
 * {@code descriptions /r=0} (tunnel networks and sms contents) and {@code show=originators /r=0}
 * (paths), {@code parameters} (what bmx7 holds of cryptun's settings). Each answer is a consistent snapshot, so a node missing from it is gone.
 */
final class SocketFeed implements Bmx7Feed {
    /** Nothing tells the socket's reader of changes: it polls. */
    static final long POLL_MILLIS = 1000;

    private final Bmx7ControlClient client;
    private final String smsName;

    SocketFeed(Bmx7ControlClient client, String smsName) {
        this.client = client;
        this.smsName = smsName;
    }

    @Override
    public Bmx7Reading read() throws IOException {
        NodeId self = selfId(client.show("status", true));
        Map<NodeId, Bmx7Description> descriptions = new TreeMap<>();
        Map<NodeId, byte[]> contents = new TreeMap<>();
        List<Bmx7Description> list;
        List<Originator> origs;
        try {
            list = client.descriptions();
            origs = client.originators();
        } catch (IllegalArgumentException e) {
            throw new IOException("bmx7 answered something cryptun cannot read: " + e.getMessage(), e);
        }
        for (Bmx7Description d : list) {
            descriptions.put(d.nodeId(), d);
            Optional<byte[]> data = d.smsData(smsName);
            data.ifPresent(b -> contents.put(d.nodeId(), b));
        }
        Bmx7Options parameters;
        try {
            parameters = client.parameters();
        } catch (IllegalArgumentException e) {
            // unreadable settings only delay the check that bmx7 still holds cryptun's
            parameters = null;
        }
        Map<NodeId, Originator> originators = new TreeMap<>();
        for (Originator o : origs) {
            originators.put(o.nodeId(), o);
        }
        return new Bmx7Reading(self, descriptions, originators, contents, true, List.of(), parameters);
    }

    private static NodeId selfId(Bmx7Table status) throws IOException {
        if (!status.hasColumn("nodeId") || status.rows().isEmpty()) {
            throw new IOException("bmx7's status table shows no nodeId");
        }
        String id = status.rows().get(0).get("nodeId");
        if (!NodeId.isNodeIdText(id)) {
            throw new IOException("bmx7's status table shows a malformed nodeId");
        }
        return NodeId.parse(id);
    }

    @Override
    public long pollMillis() {
        return POLL_MILLIS;
    }

    @Override
    public String name() {
        return "control socket";
    }
}
