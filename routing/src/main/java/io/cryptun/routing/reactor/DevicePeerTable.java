package io.cryptun.routing.reactor;

import io.cryptun.noise.allowedips.AllowedIps;
import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.noise.crypto.Keys;
import io.cryptun.noise.device.Device;
import io.cryptun.noise.device.Peer;
import io.cryptun.routing.mesh.PlannedPeer;
import io.cryptun.routing.psk.MeshKeyring;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;
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
 * <p>Which tunnels are kept up is a {@link KeepUp} policy: by default those to the gateways the plan
 * chose for offered networks (the rest come up when traffic needs them, so sessions grow with the
 * clients, not with the square of the nodes); or every pair's, kept up by the node with the
 * smaller public key (unsigned byte order): both learn of each other at about the same moment,
 * and two initiations crossing each other leave both sides as responders, each waiting for the
 * other's first data packet, until a retry gets through. The other side answers, and still
 * initiates on its own when it has traffic to send.
 *
 * <p>Pre-shared keys come from the {@link MeshKeyring}: the peer's first planned generation as
 * its key, the others as alternatives the handshake tries. When the first generation changes, the
 * side that keeps the tunnel up starts a handshake at once, so the session is keyed with the new
 * secret without waiting for the next rekey (the running session carries traffic meanwhile, and
 * keeps doing so if that handshake fails). A refused peer gets no keepalive: nothing is sent to
 * it unless it initiates.
 */
public final class DevicePeerTable implements PeerTable {
    /** Which tunnels this node keeps up without traffic. */
    public enum KeepUp {
        /** Those to the gateways it chose for offered networks ({@link PlannedPeer#keepUp}); the rest on demand. */
        GATEWAYS,
        /** Every tunnel of which this node has the smaller public key. */
        ALL
    }

    private final Device device;
    private final int keepaliveSeconds;
    private final MeshKeyring keyring;
    private final KeepUp policy;

    /** @param keepaliveSeconds persistent keepalive towards peers this side keeps up (0: none, 1..65535) */
    public DevicePeerTable(Device device, int keepaliveSeconds) {
        this(device, keepaliveSeconds, MeshKeyring.empty());
    }

    /** @param keyring the mesh secrets the peers' pre-shared keys are derived from */
    public DevicePeerTable(Device device, int keepaliveSeconds, MeshKeyring keyring) {
        this(device, keepaliveSeconds, keyring, KeepUp.ALL);
    }

    /** @param policy which tunnels this side keeps up */
    public DevicePeerTable(Device device, int keepaliveSeconds, MeshKeyring keyring, KeepUp policy) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.keyring = Objects.requireNonNull(keyring, "keyring");
        this.device = Objects.requireNonNull(device, "device");
        if (keepaliveSeconds < 0 || keepaliveSeconds > 65535) {
            throw new IllegalArgumentException("keepalive must be 0..65535 seconds");
        }
        this.keepaliveSeconds = keepaliveSeconds;
    }

    /**
     * How long a removed peer is remembered: the other side may still hold a session with this node
     * for that long (WireGuard's REJECT_AFTER_TIME) and keep sending on it.
     */
    static final long REMEMBER_REMOVED_NANOS = 180_000_000_000L;

    /** Public keys (base64) of peers removed lately, with when; a peer added back within the time handshakes at once. */
    private final Map<String, Long> removedAt = new HashMap<>();
    private LongSupplier clock = System::nanoTime;

    /** Test-only: the clock the removal times are kept on. */
    void clock(LongSupplier nanos) {
        this.clock = nanos;
    }

    @Override
    public void add(PlannedPeer p) {
        Peer peer = device.peer(p.publicKey());
        boolean addedBack = false;
        if (peer == null) {
            peer = device.addPeer(p.publicKey());
            if (peer == null) {
                throw new IllegalStateException("peer " + p.node().shortId() + " has this interface's own public key");
            }
            addedBack = wasRemovedLately(p.publicKey());
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
        setPresharedKeys(peer, p);
        peer.setPersistentKeepalive(keepaliveFor(p));
        if (addedBack && !p.isRefused()) {
            // the peer went and came back (its record was briefly missing, e.g. while its bmx7
            // restarted): its side may still send on the session this side just dropped, and would
            // notice only after WireGuard's keepalive and rekey timeouts (15 s). A handshake now
            // gives both sides a session at once.
            peer.initiateHandshake();
        }
    }

    private boolean wasRemovedLately(byte[] key) {
        long now = clock.getAsLong();
        removedAt.values().removeIf(t -> now - t > REMEMBER_REMOVED_NANOS);
        Long at = removedAt.remove(Keys.toBase64(key));
        return at != null;
    }

    private int keepaliveFor(PlannedPeer p) {
        return keepsUp(p) ? keepaliveSeconds : 0;
    }

    /** The planned generations' keys: the first as the pre-shared key, the rest as alternatives. */
    private void setPresharedKeys(Peer peer, PlannedPeer p) {
        List<byte[]> psks = keyring.psks(p.pskGenerations(), device.publicKey(), p.publicKey());
        try {
            if (psks.size() != p.pskGenerations().size()) {
                // planned from secrets the keyring no longer holds: leave the keys as they were, retry next scan
                throw new IllegalStateException("mesh secret generations " + p.pskGenerations() + " are not held");
            }
            peer.setPresharedKey(psks.isEmpty() ? null : psks.get(0));
            peer.setAlternativePresharedKeys(psks.isEmpty() ? List.of() : psks.subList(1, psks.size()));
        } finally {
            psks.forEach(Keys::zero);
        }
    }

    /** True when this side keeps the tunnel to that peer up (never to a refused one). */
    private boolean keepsUp(PlannedPeer p) {
        if (p.isRefused()) {
            return false;
        }
        if (policy == KeepUp.GATEWAYS) {
            return p.keepUp();
        }
        byte[] own = device.publicKey();
        return own == null || Arrays.compareUnsigned(own, p.publicKey()) < 0;
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
        if (!before.pskGenerations().equals(after.pskGenerations())) {
            setPresharedKeys(peer, after);
            boolean firstChanged = !firstOf(before.pskGenerations()).equals(firstOf(after.pskGenerations()));
            if (firstChanged && keepsUp(after)) {
                peer.initiateHandshake();
            }
        }
        if (keepsUp(before) != keepsUp(after)) {
            peer.setPersistentKeepalive(keepaliveFor(after));
        }
    }

    private static String firstOf(List<String> generations) {
        return generations.isEmpty() ? "" : generations.get(0);
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
            long now = clock.getAsLong();
            removedAt.values().removeIf(t -> now - t > REMEMBER_REMOVED_NANOS);
            removedAt.put(Keys.toBase64(p.publicKey()), now);
        }
    }
}
