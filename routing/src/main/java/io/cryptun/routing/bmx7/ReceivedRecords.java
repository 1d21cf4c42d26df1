package io.cryptun.routing.bmx7;

import io.cryptun.routing.CryptunRecord;
import io.cryptun.routing.NodeId;
import io.cryptun.routing.RecordFormatException;
import io.cryptun.routing.RecordStatus;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Turns successive reads of other nodes' cryptun sms files into stable {@link RecordStatus}es.
 * Sans-IO: the caller reads the files (or {@code descriptions /r=0}) and passes the bytes and a
 * monotonic clock.
 *
 * <p>bmx7 deletes and rewrites a node's received sms files on every description change of that
 * node, with a plain {@code open(O_TRUNC)} + {@code write}. So a missing file, or one without its
 * terminating newline, is treated as "unchanged from the last good content" for a grace period
 * rather than as a withdrawal. Two things end the grace early: the node's current description no
 * longer lists the sms (a real withdrawal), or content that is complete (newline-terminated) or
 * oversized yet invalid (a partial write is never either). Each distinct unusable content gives
 * one warning.
 */
public final class ReceivedRecords {
    private final long graceMillis;
    private final Map<NodeId, NodeState> states = new TreeMap<>();
    private long holdUntil = Long.MIN_VALUE;

    /** What changed in one {@link #update}. */
    public record Update(Map<NodeId, RecordStatus> statuses, Set<NodeId> changed, List<String> warnings) {
    }

    private static final class NodeState {
        RecordStatus status = RecordStatus.ABSENT;
        CryptunRecord lastGood;
        long troubleSince = -1;
        byte[] warnedContent;
    }

    public ReceivedRecords(long graceMillis) {
        if (graceMillis < 0) {
            throw new IllegalArgumentException("grace must not be negative");
        }
        this.graceMillis = graceMillis;
    }

    /**
     * Keeps every record whose file goes missing until {@code untilMillis} (then the grace period
     * starts), unless its node's description says it withdrew it: bmx7 empties its received sms
     * files when it starts, and takes a while to relearn them.
     */
    public void holdMissing(long untilMillis) {
        holdUntil = Math.max(holdUntil, untilMillis);
    }

    /**
     * @param nowMillis        a monotonic clock
     * @param contents         node id to the bytes of its sms file as read now; nodes without a file are left out
     * @param confirmedWithout nodes whose current description does not list the sms, so a missing
     *                         file is a withdrawal, not a rewrite in progress
     */
    public Update update(long nowMillis, Map<NodeId, byte[]> contents, Set<NodeId> confirmedWithout) {
        Objects.requireNonNull(contents, "contents");
        Objects.requireNonNull(confirmedWithout, "confirmedWithout");
        TreeSet<NodeId> ids = new TreeSet<>(states.keySet());
        ids.addAll(contents.keySet());
        Set<NodeId> changed = new TreeSet<>();
        List<String> warnings = new ArrayList<>();
        for (NodeId id : ids) {
            NodeState s = states.computeIfAbsent(id, k -> new NodeState());
            RecordStatus before = s.status;
            byte[] bytes = contents.get(id);
            if (bytes != null) {
                observe(id, s, bytes, nowMillis, warnings);
            } else if (s.lastGood == null || confirmedWithout.contains(id) || graceOver(s, nowMillis)) {
                s.status = RecordStatus.ABSENT;
                s.lastGood = null;
            }
            if (!s.status.equals(before)) {
                changed.add(id);
            }
            if (s.status.kind() == RecordStatus.Kind.ABSENT && s.lastGood == null && bytes == null) {
                states.remove(id);
            }
        }
        return new Update(statuses(), Collections.unmodifiableSet(changed), List.copyOf(warnings));
    }

    private void observe(NodeId id, NodeState s, byte[] bytes, long now, List<String> warnings) {
        try {
            CryptunRecord r = CryptunRecord.parse(bytes);
            s.status = RecordStatus.valid(r);
            s.lastGood = r;
            s.troubleSince = -1;
            s.warnedContent = null;
        } catch (RecordFormatException e) {
            if (!e.isFinal() && !graceOver(s, now)) {
                // keep what we had (or nothing yet) while bmx7 may still be writing
                s.status = s.lastGood != null ? RecordStatus.valid(s.lastGood) : RecordStatus.ABSENT;
                return;
            }
            s.status = RecordStatus.malformed(e.getMessage());
            s.lastGood = null;
            s.troubleSince = -1;
            if (s.warnedContent == null || !Arrays.equals(s.warnedContent, bytes)) {
                s.warnedContent = bytes.clone();
                warnings.add("ignoring cryptun record of node " + id + ": " + e.getMessage());
            }
        }
    }

    /** Starts the grace clock on first trouble; true once the grace period has run out. */
    private boolean graceOver(NodeState s, long now) {
        if (now < holdUntil) {
            s.troubleSince = -1;
            return false;
        }
        if (s.troubleSince < 0) {
            s.troubleSince = now;
        }
        return now - s.troubleSince >= graceMillis;
    }

    /** The current status of every node with a file or a remembered record. */
    public Map<NodeId, RecordStatus> statuses() {
        Map<NodeId, RecordStatus> out = new TreeMap<>();
        states.forEach((id, s) -> {
            if (s.status.kind() != RecordStatus.Kind.ABSENT) {
                out.put(id, s.status);
            }
        });
        return Collections.unmodifiableMap(out);
    }
}
