package io.cryptun.routing;

import io.cryptun.noise.allowedips.IpPrefix;

import java.util.Objects;

/**
 * One network a node announces through bmx7's tun plugin (a {@code DSC_TUN4IN6_NET} or
 * {@code DSC_TUN6IN6_NET} message): reachable through that node's tunnel.
 *
 * @param network   the announced prefix
 * @param bandwidth the announced bandwidth in bit/s, as bmx7 stores it (on its 8-bit float grid)
 * @param tun6Id    index of the announcing node's tunnel device ({@code DSC_TUN6} entry)
 * @param protoType bmx7's route type of the announcement ({@code rtype}; 0 = bmx7's own)
 */
public record TunNetwork(IpPrefix network, long bandwidth, int tun6Id, int protoType) implements Comparable<TunNetwork> {
    public TunNetwork {
        Objects.requireNonNull(network, "network");
        if (bandwidth < 0) {
            throw new IllegalArgumentException("bandwidth must not be negative");
        }
    }

    public static TunNetwork of(IpPrefix network, long bandwidth) {
        return new TunNetwork(network, bandwidth, 0, 0);
    }

    @Override
    public int compareTo(TunNetwork o) {
        int c = network.compareTo(o.network);
        if (c == 0) {
            c = Long.compare(bandwidth, o.bandwidth);
        }
        if (c == 0) {
            c = Integer.compare(tun6Id, o.tun6Id);
        }
        return c != 0 ? c : Integer.compare(protoType, o.protoType);
    }
}
