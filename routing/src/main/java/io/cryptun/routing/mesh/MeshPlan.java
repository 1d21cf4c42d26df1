package io.cryptun.routing.mesh;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.routing.CryptMode;
import io.cryptun.routing.NodeId;
import io.cryptun.routing.TunnelSearch;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What this node should have, computed by {@link MeshPlanner} from one {@link MeshView}: an
 * immutable value, so the daemon applies the difference between two plans.
 *
 * @param mode             the crypt-tun mode it was planned for
 * @param peers            WireGuard peers, sorted by node id; no prefix appears in two peers
 * @param routes           routes through the cryptun device, sorted
 * @param bmx7Searches     searches to hand to bmx7's own tun plugin (plain tunnels), sorted by name
 * @param encryptedChoices gateway choices served by the peers above
 * @param plainChoices     gateway choices served by bmx7 through {@code bmx7Searches} (prefer mode)
 * @param issues           refusals and conflicts, sorted
 */
public record MeshPlan(CryptMode mode, List<PlannedPeer> peers, List<PlannedRoute> routes, List<TunnelSearch> bmx7Searches,
                       List<GatewayChoice> encryptedChoices, List<GatewayChoice> plainChoices, List<PlanIssue> issues) {
    /** The plan before any view: nothing wanted, nothing in use. */
    public static final MeshPlan EMPTY = new MeshPlan(CryptMode.DEFAULT, List.of(), List.of(), List.of(), List.of(),
            List.of(), List.of());

    public MeshPlan {
        peers = List.copyOf(peers);
        routes = List.copyOf(routes);
        bmx7Searches = List.copyOf(bmx7Searches);
        encryptedChoices = List.copyOf(encryptedChoices);
        plainChoices = List.copyOf(plainChoices);
        issues = List.copyOf(issues);
    }

    /** The (search, gateway, announcement) pairs in use, which keep their hysteresis bonus next time. */
    public Set<ChoiceKey> activeChoices() {
        Set<ChoiceKey> keys = new TreeSet<>();
        encryptedChoices.forEach(c -> keys.add(c.key()));
        plainChoices.forEach(c -> keys.add(c.key()));
        return keys;
    }

    public Optional<PlannedPeer> peer(NodeId node) {
        return peers.stream().filter(p -> p.node().equals(node)).findFirst();
    }

    /** The peer whose allowed IPs hold exactly {@code prefix}. */
    public Optional<PlannedPeer> peerAllowing(IpPrefix prefix) {
        return peers.stream().filter(p -> p.allowedIps().contains(prefix)).findFirst();
    }
}
