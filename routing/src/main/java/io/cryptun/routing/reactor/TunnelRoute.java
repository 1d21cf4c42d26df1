package io.cryptun.routing.reactor;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.routing.mesh.PlannedRoute;

import java.util.Comparator;
import java.util.Objects;

/**
 * A kernel route through the cryptun device. It does not name a peer: WireGuard picks the peer by
 * its allowed IPs, so a failover from one gateway to another moves allowed IPs and leaves the
 * route alone.
 *
 * @param table  routing table id (254 = main)
 * @param metric route metric
 */
public record TunnelRoute(IpPrefix prefix, int table, int metric) implements Comparable<TunnelRoute> {
    /** The kernel's main table, which is always consulted (rule preference 32766). */
    public static final int MAIN_TABLE = 254;

    private static final Comparator<TunnelRoute> ORDER = Comparator.comparingInt(TunnelRoute::table)
            .thenComparing(TunnelRoute::prefix).thenComparingInt(TunnelRoute::metric);

    public TunnelRoute {
        Objects.requireNonNull(prefix, "prefix");
        if (table < 1 || metric < 0) {
            throw new IllegalArgumentException("table must be positive and metric not negative");
        }
    }

    public static TunnelRoute of(PlannedRoute r) {
        return new TunnelRoute(r.prefix(), r.table(), r.metric());
    }

    @Override
    public int compareTo(TunnelRoute o) {
        return ORDER.compare(this, o);
    }

    @Override
    public String toString() {
        return prefix + " table " + table + " metric " + metric;
    }
}
