package io.cryptun.routing.reactor;

import io.cryptun.noise.crypto.Keys;
import io.cryptun.routing.TunnelSearch;
import io.cryptun.routing.mesh.MeshPlan;
import io.cryptun.routing.mesh.PlannedPeer;
import io.cryptun.routing.mesh.PlannedRoute;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a plan asks of the device, the kernel and bmx7, in the forms the reactor installs: peers by
 * public key, kernel routes (several planned routes may share one), the rules their tables need,
 * and the searches handed to bmx7 by name.
 */
public record DesiredState(Map<String, PlannedPeer> peers, Set<TunnelRoute> routes, Set<TableRule> rules,
                           Map<String, TunnelSearch> handoffs) {
    public static final DesiredState NOTHING = new DesiredState(Map.of(), Set.of(), Set.of(), Map.of());

    public DesiredState {
        peers = Collections.unmodifiableMap(new TreeMap<>(peers));
        routes = Collections.unmodifiableSet(new TreeSet<>(routes));
        rules = Collections.unmodifiableSet(new TreeSet<>(rules));
        handoffs = Collections.unmodifiableMap(new TreeMap<>(handoffs));
    }

    public static DesiredState of(MeshPlan plan) {
        Map<String, PlannedPeer> peers = new TreeMap<>();
        for (PlannedPeer p : plan.peers()) {
            peers.put(keyOf(p), p);
        }
        Set<TunnelRoute> routes = new TreeSet<>();
        Set<TableRule> rules = new TreeSet<>();
        for (PlannedRoute r : plan.routes()) {
            routes.add(TunnelRoute.of(r));
            if (r.table() != TunnelRoute.MAIN_TABLE) {
                rules.add(new TableRule(r.tablePref(), r.table(), r.prefix().isIpv4()));
            }
        }
        Map<String, TunnelSearch> handoffs = new TreeMap<>();
        for (TunnelSearch s : plan.bmx7Searches()) {
            handoffs.put(s.name(), s);
        }
        return new DesiredState(peers, routes, rules, handoffs);
    }

    /** The base64 public key, by which peers are told apart. */
    public static String keyOf(PlannedPeer p) {
        return Keys.toBase64(p.publicKey());
    }
}
