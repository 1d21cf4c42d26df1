package io.cryptun.routing.reactor;

import io.cryptun.routing.mesh.PlannedPeer;

/**
 * Where the reactor installs WireGuard peers. Peers are identified by their public key; the
 * reactor only calls {@link #update} for a key it added before, and never calls anything for a
 * peer whose planned state did not change, so sessions survive bmx7 rewriting unchanged records.
 * Failures are thrown as runtime exceptions; the reactor then retries on its next scan.
 */
public interface PeerTable {
    /** Installs a peer with its endpoint and allowed IPs. */
    void add(PlannedPeer peer);

    /**
     * Changes an installed peer (same public key) to {@code after}: endpoint and allowed IPs,
     * touching only what differs, so its sessions are kept.
     */
    void update(PlannedPeer before, PlannedPeer after);

    /** Removes a peer, its allowed IPs and its sessions. */
    void remove(PlannedPeer peer);
}
