package io.cryptun.routing.mesh;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.routing.NodeId;

import java.util.Comparator;
import java.util.Objects;

/**
 * A route the plan wants through the cryptun device.
 *
 * @param via        the peer whose allowed IPs hold this prefix
 * @param table      routing table (bmx7's {@code tableRule} table; 254 = main)
 * @param tablePref  ip rule preference that selects the table
 * @param metric     route metric
 * @param purpose    why the route exists
 * @param searchName the search that chose it, or null for a client route
 */
public record PlannedRoute(IpPrefix prefix, NodeId via, int table, int tablePref, int metric, Purpose purpose,
                           String searchName) implements Comparable<PlannedRoute> {
    public enum Purpose {
        /** A network chosen by one of this node's searches, through that gateway. */
        GATEWAY,
        /** A client's tunnel source address, back through that client (gateway side). */
        CLIENT
    }

    private static final Comparator<PlannedRoute> ORDER = Comparator.comparingInt(PlannedRoute::table)
            .thenComparing(PlannedRoute::prefix).thenComparingInt(PlannedRoute::metric).thenComparing(PlannedRoute::via);

    public PlannedRoute {
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(via, "via");
        Objects.requireNonNull(purpose, "purpose");
    }

    @Override
    public int compareTo(PlannedRoute o) {
        return ORDER.compare(this, o);
    }
}
