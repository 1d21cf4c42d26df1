package io.cryptun.routing.reactor;

import io.cryptun.noise.allowedips.AllowedIps;
import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.noise.device.Device;
import io.cryptun.noise.device.Peer;
import io.cryptun.routing.mesh.PlannedPeer;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * {@link PeerTable} over the WireGuard {@link Device}: peers by public key, the endpoint, the
 * allowed IPs and a persistent keepalive, which makes tunnels come up without waiting for traffic
 * and keeps them up. An update changes only what differs and never removes the peer, so its
 * sessions and counters survive.
 *
 * <p>Of two mesh nodes, only the one with the smaller public key (unsigned byte order) keeps the
 * tunnel up: both learn of each other at about the same moment, and two initiations crossing each
 * other leave both sides as responders, each waiting for the other's first data packet, until a
 * retry gets through (up to a keepalive interval later). The other side answers, and still
 * initiates on its own when it has traffic to send.
 */
public final class DevicePeerTable implements PeerTable {
    private final Device device;
    private final int keepaliveSeconds;

    /** @param keepaliveSeconds persistent keepalive towards peers this side keeps up (0: none, 1..65535) */
    public DevicePeerTable(Device device, int keepaliveSeconds) {
        this.device = Objects.requireNonNull(device, "device");
        if (keepaliveSeconds < 0 || keepaliveSeconds > 65535) {
            throw new IllegalArgumentException("keepalive must be 0..65535 seconds");
        }
        this.keepaliveSeconds = keepaliveSeconds;
    }

    @Override
    public void add(PlannedPeer p) {
        Peer peer = device.peer(p.publicKey());
        if (peer == null) {
            peer = device.addPeer(p.publicKey());
            if (peer == null) {
                throw new IllegalStateException("peer " + p.node().shortId() + " has this interface's own public key");
            }
        }
        peer.setEndpoint(p.endpoint());
        AllowedIps<Peer> table = device.allowedIps();
        Set<IpPrefix> want = new HashSet<>(p.allowedIps());
        for (IpPrefix old : table.prefixesOf(peer)) {
            if (!want.contains(old)) {
                table.remove(old, peer);
            }
        }
        insertMissing(table, peer, p.allowedIps());
        peer.setPersistentKeepalive(keepsUp(p.publicKey()) ? keepaliveSeconds : 0);
    }

    /** True when this side keeps the tunnel to that peer up: its own public key is the smaller. */
    private boolean keepsUp(byte[] peerKey) {
        byte[] own = device.publicKey();
        return own == null || Arrays.compareUnsigned(own, peerKey) < 0;
    }

    @Override
    public void update(PlannedPeer before, PlannedPeer after) {
        Peer peer = device.peer(after.publicKey());
        if (peer == null) {
            // removed behind our back (wg set ... remove): put it back whole
            add(after);
            return;
        }
        // only a planned change: an endpoint the peer roamed to on its own is left alone
        if (!before.endpoint().equals(after.endpoint())) {
            peer.setEndpoint(after.endpoint());
        }
        AllowedIps<Peer> table = device.allowedIps();
        Set<IpPrefix> want = new HashSet<>(after.allowedIps());
        for (IpPrefix old : before.allowedIps()) {
            if (!want.contains(old)) {
                // removes it only if this peer still holds it: it may have moved to another peer already
                table.remove(old, peer);
            }
        }
        insertMissing(table, peer, after.allowedIps());
    }

    private static void insertMissing(AllowedIps<Peer> table, Peer peer, List<IpPrefix> prefixes) {
        for (IpPrefix p : prefixes) {
            if (table.ownerOf(p) != peer) {
                table.insert(p, peer);
            }
        }
    }

    @Override
    public void remove(PlannedPeer p) {
        Peer peer = device.peer(p.publicKey());
        if (peer != null) {
            device.removePeer(peer);
        }
    }
}
