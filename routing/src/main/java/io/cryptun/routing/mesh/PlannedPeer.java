package io.cryptun.routing.mesh;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.noise.crypto.Keys;
import io.cryptun.routing.NodeId;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A WireGuard peer the plan wants: one mesh node, reached at its primary address and announced
 * port, allowed the listed prefixes (sorted, each given to no other peer).
 */
public final class PlannedPeer {
    private final NodeId node;
    private final byte[] publicKey;
    private final Inet6Address endpointAddress;
    private final int endpointPort;
    private final List<IpPrefix> allowedIps;

    public PlannedPeer(NodeId node, byte[] publicKey, Inet6Address endpointAddress, int endpointPort,
                       List<IpPrefix> allowedIps) {
        this.node = Objects.requireNonNull(node, "node");
        if (publicKey == null || publicKey.length != Keys.KEY_LENGTH) {
            throw new IllegalArgumentException("public key must be 32 bytes");
        }
        this.publicKey = publicKey.clone();
        this.endpointAddress = Objects.requireNonNull(endpointAddress, "endpointAddress");
        if (endpointPort < 1 || endpointPort > 65535) {
            throw new IllegalArgumentException("port out of range");
        }
        this.endpointPort = endpointPort;
        this.allowedIps = allowedIps.stream().sorted().distinct().toList();
    }

    public NodeId node() {
        return node;
    }

    public byte[] publicKey() {
        return publicKey.clone();
    }

    public Inet6Address endpointAddress() {
        return endpointAddress;
    }

    public int endpointPort() {
        return endpointPort;
    }

    public InetSocketAddress endpoint() {
        return new InetSocketAddress(endpointAddress, endpointPort);
    }

    public List<IpPrefix> allowedIps() {
        return allowedIps;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PlannedPeer p && p.node.equals(node) && Arrays.equals(p.publicKey, publicKey)
                && p.endpointAddress.equals(endpointAddress) && p.endpointPort == endpointPort
                && p.allowedIps.equals(allowedIps);
    }

    @Override
    public int hashCode() {
        return Objects.hash(node, Arrays.hashCode(publicKey), endpointAddress, endpointPort, allowedIps);
    }

    @Override
    public String toString() {
        return "PlannedPeer[" + node.shortId() + " key=" + Keys.shortLabel(publicKey) + " endpoint=["
                + IpPrefix.hostString(endpointAddress.getAddress()) + "]:" + endpointPort + " allowed=" + allowedIps + "]";
    }
}
