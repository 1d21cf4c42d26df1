package io.cryptun.routing.mesh;

import io.cryptun.routing.NodeId;

import java.util.Comparator;
import java.util.Objects;

/**
 * Something the planner refused or could not do, for the daemon to log (once per distinct issue:
 * plans are recomputed often, so diff the issue lists).
 *
 * @param node the node concerned, or null
 */
public record PlanIssue(Kind kind, NodeId node, String detail) implements Comparable<PlanIssue> {
    public enum Kind {
        /** The node's record is malformed or oversized and is ignored. */
        MALFORMED_RECORD,
        /** The node is not on the allow-list. */
        NOT_ALLOWED,
        /** bmx7 reports a primary address for the node other than the one its id gives. */
        ADDRESS_MISMATCH,
        /** Two or more nodes announce the same WireGuard key: all of them are refused. */
        DUPLICATE_KEY,
        /** The node announces this node's own WireGuard key. */
        OWN_KEY,
        /** A prefix was claimed for two peers; it was given to neither or to the earlier claim only. */
        PREFIX_CONFLICT,
        /** A client's tunnel source lies outside the accepted client sources. */
        SOURCE_NOT_ACCEPTED,
        /** A search of a family this node has no tunnel source of cannot use WireGuard. */
        NO_SOURCE_FOR_FAMILY,
        /**
         * The node holds none of this node's mesh secret generations (or one side holds a secret
         * and the other none): it is refused, listed as a peer without allowed IPs.
         */
        MESH_SECRET_MISMATCH
    }

    private static final Comparator<PlanIssue> ORDER = Comparator.comparing(PlanIssue::kind)
            .thenComparing(PlanIssue::node, Comparator.nullsFirst(Comparator.naturalOrder()))
            .thenComparing(PlanIssue::detail);

    public PlanIssue {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(detail, "detail");
    }

    @Override
    public int compareTo(PlanIssue o) {
        return ORDER.compare(this, o);
    }
}
