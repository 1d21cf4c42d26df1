package io.cryptun.routing.reactor;

import io.cryptun.routing.mesh.PlannedPeer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A peer table kept in memory, with a log of every call, to see what the reactor touches. */
final class MemoryPeerTable implements PeerTable {
    final Map<String, PlannedPeer> peers = new TreeMap<>();
    final List<String> calls = new ArrayList<>();
    RuntimeException failNext;

    @Override
    public synchronized void add(PlannedPeer p) {
        check();
        String k = DesiredState.keyOf(p);
        if (peers.containsKey(k)) {
            throw new IllegalStateException("peer exists");
        }
        calls.add("add " + p.node().shortId() + " " + k);
        peers.put(k, p);
    }

    @Override
    public synchronized void update(PlannedPeer before, PlannedPeer after) {
        check();
        String k = DesiredState.keyOf(after);
        if (!before.equals(peers.get(k))) {
            throw new IllegalStateException("update from a state that is not installed");
        }
        calls.add("update " + after.node().shortId() + " " + k);
        peers.put(k, after);
    }

    @Override
    public synchronized void remove(PlannedPeer p) {
        check();
        String k = DesiredState.keyOf(p);
        if (peers.remove(k) == null) {
            throw new IllegalStateException("no such peer");
        }
        calls.add("remove " + p.node().shortId() + " " + k);
    }

    private void check() {
        RuntimeException e = failNext;
        if (e != null) {
            failNext = null;
            throw e;
        }
    }
}
