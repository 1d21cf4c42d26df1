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
 * port, allowed the listed prefixes (sorted, each given to no other peer), with the mesh secret
 * generations its pre-shared keys come from.
 *
 * <p>A <em>refused</em> peer ({@link #refusal()} not null) is a node this node would peer with
 * but whose mesh secrets do not match: it is installed without allowed IPs, so it carries
 * nothing and its handshakes cannot complete, and {@code cryptun show} names the reason.
 */
public final class PlannedPeer {
    private final NodeId node;
    private final byte[] publicKey;
    private final Inet6Address endpointAddress;
    private final int endpointPort;
    private final List<IpPrefix> allowedIps;
    private final List<String> pskGenerations;
    private final String refusal;
    private final boolean keepUp;

    /** An accepted peer without mesh secrets (all-zero pre-shared key). */
    public PlannedPeer(NodeId node, byte[] publicKey, Inet6Address endpointAddress, int endpointPort,
                       List<IpPrefix> allowedIps) {
        this(node, publicKey, endpointAddress, endpointPort, allowedIps, List.of(), null);
    }

    /**
     * @param pskGenerations this node's mesh secret generations (ids) for the pair's pre-shared
     *                       keys, the one to use first, the rest as alternatives; empty for none
     * @param refusal        why the peer is refused, or null when it is accepted; a refused peer
     *                       has no allowed IPs
     */
    public PlannedPeer(NodeId node, byte[] publicKey, Inet6Address endpointAddress, int endpointPort,
                       List<IpPrefix> allowedIps, List<String> pskGenerations, String refusal) {
        this(node, publicKey, endpointAddress, endpointPort, allowedIps, pskGenerations, refusal, false);
    }

    /**
     * @param keepUp true when this node keeps the tunnel up without traffic: the peer is the gateway
     *               this node chose for a network it offers (not just for its own tunnel address),
     *               so the first packets find a session ready; other pairs handshake on demand
     */
    public PlannedPeer(NodeId node, byte[] publicKey, Inet6Address endpointAddress, int endpointPort,
                       List<IpPrefix> allowedIps, List<String> pskGenerations, String refusal, boolean keepUp) {
        this.keepUp = keepUp && refusal == null;
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
        this.pskGenerations = List.copyOf(pskGenerations);
        this.refusal = refusal;
        if (refusal != null && !this.allowedIps.isEmpty()) {
            throw new IllegalArgumentException("a refused peer is allowed nothing");
        }
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

    /** Ids of this node's mesh secret generations for the pair's pre-shared keys, the first to use first. */
    public List<String> pskGenerations() {
        return pskGenerations;
    }

    /** Why the node is refused (its mesh secrets do not match), or null when it is accepted. */
    public String refusal() {
        return refusal;
    }

    public boolean isRefused() {
        return refusal != null;
    }

    /** Whether this node keeps the tunnel to the peer up without traffic (see the constructor). */
    public boolean keepUp() {
        return keepUp;
    }

    public PlannedPeer withKeepUp(boolean k) {
        return new PlannedPeer(node, publicKey, endpointAddress, endpointPort, allowedIps, pskGenerations, refusal, k);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PlannedPeer p && p.node.equals(node) && Arrays.equals(p.publicKey, publicKey)
                && p.endpointAddress.equals(endpointAddress) && p.endpointPort == endpointPort
                && p.allowedIps.equals(allowedIps) && p.pskGenerations.equals(pskGenerations)
                && Objects.equals(p.refusal, refusal) && p.keepUp == keepUp;
    }

    @Override
    public int hashCode() {
        return Objects.hash(node, Arrays.hashCode(publicKey), endpointAddress, endpointPort, allowedIps, pskGenerations,
                refusal, keepUp);
    }

    @Override
    public String toString() {
        return "PlannedPeer[" + node.shortId() + " key=" + Keys.shortLabel(publicKey) + " endpoint=["
                + IpPrefix.hostString(endpointAddress.getAddress()) + "]:" + endpointPort + " allowed=" + allowedIps
                + (pskGenerations.isEmpty() ? "" : " psk=" + pskGenerations)
                + (refusal == null ? "" : " refused: " + refusal) + (keepUp ? " kept up" : "") + "]";
    }
}
