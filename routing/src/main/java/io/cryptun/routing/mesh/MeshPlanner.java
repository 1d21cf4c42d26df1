package io.cryptun.routing.mesh;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.noise.crypto.Keys;
import io.cryptun.routing.CryptMode;
import io.cryptun.routing.CryptunRecord;
import io.cryptun.routing.NodeId;
import io.cryptun.routing.TunNetwork;
import io.cryptun.routing.TunnelSearch;
import io.cryptun.routing.psk.SecretGenerations;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Decides the WireGuard peers, routes and bmx7 hand-overs this node wants for a mesh view.
 * Pure and deterministic: the same inputs give an equal plan, whatever order they were built in.
 *
 * <p>Rules, in order:
 * <ol>
 * <li>A node's key is <em>usable</em> when its record is valid, it is on the allow-list (if any),
 * bmx7's primary address for it matches its id, and no other node (this one included) announces
 * the same key. Nodes without a usable key are treated as plain bmx7 nodes.</li>
 * <li>{@code off}: no peers and no routes; every search goes to bmx7 unchanged.</li>
 * <li>The searches run with {@link GatewayChooser} over the announcements of reachable gateways
 * with a usable key (and only for families this node has a tunnel source of). Each chosen route
 * becomes an allowed IP of its gateway's peer and a route through the device.</li>
 * <li>{@code prefer}: the searches also run over all gateways; routes that no usable-key gateway
 * serves go to bmx7 as narrowed searches (exactly that route, that announcement length, that
 * gateway), so bmx7 and cryptun never route the same prefix. {@code require} hands nothing over.</li>
 * <li>Gateway side (this node offers networks, or bmx7 shows it announcing tunnel networks): every
 * node with a usable key is a client peer allowed its announced tunnel sources, routed back
 * through the device.</li>
 * <li>A prefix is allowed to one peer only: a route chosen under a higher-priority rule keeps it;
 * a client source that collides with a chosen route, another client's source or this node's own
 * source is not allowed to anyone and reported.</li>
 * <li>Mesh secrets: a usable node must also share a mesh secret generation with this node (or
 * neither holds one, see {@link SecretGenerations}). One that does not is refused; if it would
 * have been a peer, it is listed as a refused peer with no allowed IPs (so its failing handshakes
 * have a visible reason), and nothing is routed through it. Each peer's pre-shared keys come from
 * the generations {@link SecretGenerations#order} gives.</li>
 * </ol>
 */
public final class MeshPlanner {

    private MeshPlanner() {
    }

    /**
     * @param previous the plan in force (its choices get the hysteresis bonus); {@link MeshPlan#EMPTY} or null at start
     */
    public static MeshPlan plan(LocalSettings local, MeshView view, MeshPlan previous) {
        if (!view.self().equals(local.self())) {
            throw new IllegalArgumentException("view is of node " + view.self().shortId() + ", settings of "
                    + local.self().shortId());
        }
        MeshPlan prior = previous == null ? MeshPlan.EMPTY : previous;
        if (local.mode() == CryptMode.OFF) {
            List<TunnelSearch> all = new ArrayList<>(local.searches());
            all.sort(Comparator.comparing(TunnelSearch::name));
            return new MeshPlan(CryptMode.OFF, List.of(), List.of(), all, List.of(), List.of(), List.of());
        }
        List<PlanIssue> issues = new ArrayList<>();
        Map<NodeId, MeshNode> keyed = usableNodes(local, view, issues);
        List<String> ownIds = local.ownRecord().pskIds();
        Map<NodeId, MeshNode> usable = new TreeMap<>();
        Map<NodeId, String> refused = new TreeMap<>();
        for (Map.Entry<NodeId, MeshNode> e : keyed.entrySet()) {
            String why = SecretGenerations.incompatibility(ownIds, e.getValue().record().record().pskIds());
            if (why == null) {
                usable.put(e.getKey(), e.getValue());
            } else {
                refused.put(e.getKey(), why);
                issues.add(new PlanIssue(PlanIssue.Kind.MESH_SECRET_MISMATCH, e.getKey(), why));
            }
        }
        CryptunRecord own = local.ownRecord();
        for (TunnelSearch s : local.searches()) {
            if (!own.hasSourceOfFamily(s.isIpv4())) {
                issues.add(new PlanIssue(PlanIssue.Kind.NO_SOURCE_FOR_FAMILY, null, "search " + s.name()
                        + ": no " + (s.isIpv4() ? "tun4" : "tun6") + " source in this node's record"));
            }
        }
        Assignment a = assign(local, view, usable, prior, issues);

        Set<NodeId> keptUp = keptUp(local, usable, a);
        List<PlannedPeer> peers = new ArrayList<>();
        for (Map.Entry<NodeId, TreeSet<IpPrefix>> e : a.allowed().entrySet()) {
            CryptunRecord r = usable.get(e.getKey()).record().record();
            peers.add(new PlannedPeer(e.getKey(), r.publicKey(), e.getKey().primaryAddress(), r.port(),
                    List.copyOf(e.getValue()), SecretGenerations.order(ownIds, r.pskIds()), null,
                    keptUp.contains(e.getKey())));
        }
        if (!refused.isEmpty()) {
            // the nodes refused for their secrets that would be peers otherwise: listed, allowed nothing
            Assignment would = assign(local, view, keyed, prior, new ArrayList<>());
            for (NodeId id : would.allowed().keySet()) {
                if (refused.containsKey(id)) {
                    CryptunRecord r = keyed.get(id).record().record();
                    peers.add(new PlannedPeer(id, r.publicKey(), id.primaryAddress(), r.port(), List.of(),
                            SecretGenerations.order(ownIds, r.pskIds()), refused.get(id)));
                }
            }
            peers.sort(Comparator.comparing(PlannedPeer::node));
        }
        List<PlannedRoute> routes = a.routes();
        routes.sort(null);
        issues.sort(null);
        return new MeshPlan(local.mode(), peers, routes, a.handed(), a.applied(), a.plain(), issues);
    }

    /**
     * The peers this node keeps a session with even without traffic: the gateways it chose for a
     * network they offer. A gateway chosen only for its own tunnel address (every node announces
     * its tunDev's addresses, with bmx7's top bandwidth, and a broad search like 10.0.0.0/8 finds
     * them all) gets a session when traffic needs one, as bmx7's own tunOut creates its tunnels
     * when the first packet comes: so a mesh's sessions grow with its clients and gateways, not
     * with the square of its nodes. A node that offers networks itself keeps another gateway up
     * only when its public key is the smaller: the two may be each other's gateway, and two
     * initiations crossing each other would leave both waiting.
     */
    private static Set<NodeId> keptUp(LocalSettings local, Map<NodeId, MeshNode> usable, Assignment a) {
        Set<NodeId> out = new TreeSet<>();
        for (GatewayChoice c : a.applied()) {
            NodeId gw = c.offer().gateway();
            MeshNode n = usable.get(gw);
            if (n != null && !isOwnTunnelSpace(c.offer().network(), n.record().record())) {
                out.add(gw);
            }
        }
        if (!local.offers().isEmpty()) {
            // a gateway keeping another gateway up may be kept up by it too: the smaller key does it
            byte[] own = local.ownRecord().publicKey();
            out.removeIf(id -> java.util.Arrays.compareUnsigned(own, usable.get(id).record().record().publicKey()) > 0);
        }
        return out;
    }

    /** The announcement is the node's own tunnel space: top bandwidth (a tunDev address) around a source of its record. */
    private static boolean isOwnTunnelSpace(TunNetwork announced, CryptunRecord r) {
        if (announced.bandwidth() < io.cryptun.routing.bmx7.Bmx7Numbers.UMETRIC_MAX) {
            return false;
        }
        for (IpPrefix src : r.tunnelSources()) {
            if (contains(announced.network(), src) || contains(src, announced.network())) {
                return true;
            }
        }
        return false;
    }

    private static boolean contains(IpPrefix outer, IpPrefix inner) {
        if (outer.isIpv4() != inner.isIpv4() || outer.length() > inner.length()) {
            return false;
        }
        for (int i = 0; i < outer.length(); i++) {
            int mask = 0x80 >>> (i & 7);
            if ((outer.addressByte(i >>> 3) & mask) != (inner.addressByte(i >>> 3) & mask)) {
                return false;
            }
        }
        return true;
    }

    /** Who gets which prefix, for one set of usable nodes. */
    private record Assignment(Map<NodeId, TreeSet<IpPrefix>> allowed, List<PlannedRoute> routes,
                              List<TunnelSearch> handed, List<GatewayChoice> applied, List<GatewayChoice> plain) {
    }

    private static Assignment assign(LocalSettings local, MeshView view, Map<NodeId, MeshNode> usable, MeshPlan prior,
                                     List<PlanIssue> issues) {
        CryptunRecord own = local.ownRecord();
        List<GatewayOffer> allOffers = new ArrayList<>();
        List<GatewayOffer> keyedOffers = new ArrayList<>();
        for (MeshNode n : view.others()) {
            if (!n.isReachable()) {
                continue;
            }
            for (TunNetwork net : n.networks()) {
                GatewayOffer o = new GatewayOffer(n.id(), n.hostname(), net, n.pathMetric());
                allOffers.add(o);
                if (usable.containsKey(n.id()) && own.hasSourceOfFamily(net.network().isIpv4())) {
                    keyedOffers.add(o);
                }
            }
        }
        Set<ChoiceKey> active = prior.activeChoices();
        List<GatewayChoice> encrypted = GatewayChooser.choose(local.searches(), keyedOffers, active);

        List<GatewayChoice> plain = new ArrayList<>();
        List<TunnelSearch> handed = new ArrayList<>();
        if (local.mode() == CryptMode.PREFER) {
            Set<String> served = new TreeSet<>();
            encrypted.forEach(c -> served.add(slot(c)));
            for (GatewayChoice c : GatewayChooser.choose(local.searches(), allOffers, active)) {
                if (!served.contains(slot(c))) {
                    plain.add(c);
                    handed.add(narrowed(c));
                }
            }
            handed.sort(Comparator.comparing(TunnelSearch::name));
        }

        Map<IpPrefix, NodeId> owner = new TreeMap<>();
        Map<NodeId, TreeSet<IpPrefix>> allowed = new TreeMap<>();
        List<PlannedRoute> routes = new ArrayList<>();
        List<GatewayChoice> applied = new ArrayList<>();
        for (GatewayChoice c : encrypted) {
            NodeId gw = c.offer().gateway();
            NodeId holder = owner.putIfAbsent(c.route(), gw);
            if (holder != null && !holder.equals(gw)) {
                issues.add(new PlanIssue(PlanIssue.Kind.PREFIX_CONFLICT, gw, "route " + c.route() + " of search "
                        + c.search().name() + " is already allowed to " + holder.shortId() + " by a higher-priority rule"));
                continue;
            }
            allowed.computeIfAbsent(gw, k -> new TreeSet<>()).add(c.route());
            TunnelSearch s = c.search();
            routes.add(new PlannedRoute(c.route(), gw, s.table(), s.tablePref(), s.ipMetric(),
                    PlannedRoute.Purpose.GATEWAY, s.name()));
            applied.add(c);
        }

        if (isGateway(local, view)) {
            addClients(local, usable, owner, allowed, routes, issues);
        }
        return new Assignment(allowed, routes, handed, applied, plain);
    }

    /** Nodes whose record may be used, with every refusal reported. */
    private static Map<NodeId, MeshNode> usableNodes(LocalSettings local, MeshView view, List<PlanIssue> issues) {
        Map<NodeId, MeshNode> keyed = new TreeMap<>();
        for (MeshNode n : view.others()) {
            switch (n.record().kind()) {
                case ABSENT -> { }
                case MALFORMED -> issues.add(new PlanIssue(PlanIssue.Kind.MALFORMED_RECORD, n.id(), n.record().problem()));
                case VALID -> {
                    if (!local.isAllowed(n.id())) {
                        issues.add(new PlanIssue(PlanIssue.Kind.NOT_ALLOWED, n.id(), "not on the allow-list"));
                    } else if (!n.addressConsistent()) {
                        issues.add(new PlanIssue(PlanIssue.Kind.ADDRESS_MISMATCH, n.id(), "bmx7 reports primary address "
                                + IpPrefix.hostString(n.bmx7PrimaryIp().getAddress()) + ", its id gives "
                                + IpPrefix.hostString(n.endpointAddress().getAddress())));
                    } else {
                        keyed.put(n.id(), n);
                    }
                }
                default -> throw new AssertionError(n.record().kind());
            }
        }
        Map<String, List<NodeId>> byKey = new TreeMap<>();
        keyed.forEach((id, n) -> byKey.computeIfAbsent(Keys.toBase64(n.record().record().publicKey()),
                k -> new ArrayList<>()).add(id));
        String ownKey = Keys.toBase64(local.ownRecord().publicKey());
        for (Map.Entry<String, List<NodeId>> e : byKey.entrySet()) {
            List<NodeId> ids = e.getValue();
            if (e.getKey().equals(ownKey)) {
                for (NodeId id : ids) {
                    issues.add(new PlanIssue(PlanIssue.Kind.OWN_KEY, id, "announces this node's own public key"));
                    keyed.remove(id);
                }
            } else if (ids.size() > 1) {
                for (NodeId id : ids) {
                    issues.add(new PlanIssue(PlanIssue.Kind.DUPLICATE_KEY, id, "public key "
                            + e.getKey().substring(0, 8) + "... is announced by " + ids.size() + " nodes"));
                    keyed.remove(id);
                }
            }
        }
        return keyed;
    }

    private static boolean isGateway(LocalSettings local, MeshView view) {
        return !local.offers().isEmpty() || view.node(local.self()).map(n -> !n.networks().isEmpty()).orElse(false);
    }

    private static void addClients(LocalSettings local, Map<NodeId, MeshNode> usable, Map<IpPrefix, NodeId> owner,
                                   Map<NodeId, TreeSet<IpPrefix>> allowed, List<PlannedRoute> routes,
                                   List<PlanIssue> issues) {
        Set<IpPrefix> ownSources = new TreeSet<>(local.ownRecord().tunnelSources());
        Map<IpPrefix, List<NodeId>> claims = new TreeMap<>();
        for (MeshNode n : usable.values()) {
            for (IpPrefix p : n.record().record().tunnelSources()) {
                if (!local.acceptsClientSource(p)) {
                    issues.add(new PlanIssue(PlanIssue.Kind.SOURCE_NOT_ACCEPTED, n.id(), "tunnel source " + p
                            + " is outside the accepted client sources"));
                } else if (ownSources.contains(p)) {
                    issues.add(new PlanIssue(PlanIssue.Kind.PREFIX_CONFLICT, n.id(), "tunnel source " + p
                            + " is this node's own"));
                } else {
                    claims.computeIfAbsent(p, k -> new ArrayList<>()).add(n.id());
                }
            }
        }
        for (Map.Entry<IpPrefix, List<NodeId>> e : claims.entrySet()) {
            IpPrefix p = e.getKey();
            List<NodeId> ids = e.getValue();
            if (ids.size() > 1) {
                for (NodeId id : ids) {
                    issues.add(new PlanIssue(PlanIssue.Kind.PREFIX_CONFLICT, id, "tunnel source " + p
                            + " is announced by " + ids.size() + " nodes"));
                }
                continue;
            }
            NodeId client = ids.get(0);
            NodeId holder = owner.putIfAbsent(p, client);
            if (holder != null && !holder.equals(client)) {
                issues.add(new PlanIssue(PlanIssue.Kind.PREFIX_CONFLICT, client, "tunnel source " + p
                        + " is a route chosen through " + holder.shortId()));
                continue;
            }
            allowed.computeIfAbsent(client, k -> new TreeSet<>()).add(p);
            boolean mainRouteExists = routes.stream().anyMatch(r -> r.prefix().equals(p)
                    && r.table() == TunnelSearch.DEFAULT_TABLE);
            if (!mainRouteExists) {
                routes.add(new PlannedRoute(p, client, TunnelSearch.DEFAULT_TABLE, TunnelSearch.DEFAULT_TABLE_PREF,
                        TunnelSearch.DEFAULT_IP_METRIC, PlannedRoute.Purpose.CLIENT, null));
            }
        }
    }

    /** One kernel route slot: the rule group and the prefix. */
    private static String slot(GatewayChoice c) {
        return c.search().tablePref() + "/" + c.search().table() + "/" + c.search().ipMetric() + "/" + c.route();
    }

    /**
     * The search handed to bmx7 for one plain route: it matches exactly that announcement of that
     * gateway, so bmx7 routes the prefix cryptun left to it and nothing else.
     */
    static TunnelSearch narrowed(GatewayChoice c) {
        TunNetwork adv = c.offer().network();
        return c.search().toBuilder()
                .name(handoffName(c))
                .network(c.route())
                .minPrefixLen(adv.network().length())
                .maxPrefixLen(adv.network().length())
                .gwName(null)
                .gwId(c.offer().gateway())
                .build();
    }

    /**
     * {@code <search name>.<8 hex>}: stable for the same search, gateway, route and announcement,
     * within bmx7's 31 characters.
     */
    static String handoffName(GatewayChoice c) {
        String base = c.search().name();
        if (base.length() > TunnelSearch.MAX_NAME_LENGTH - 9) {
            base = base.substring(0, TunnelSearch.MAX_NAME_LENGTH - 9);
        }
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-224");
            md.update(c.search().name().getBytes(StandardCharsets.US_ASCII));
            md.update(c.offer().gateway().bytes());
            md.update(c.route().toString().getBytes(StandardCharsets.US_ASCII));
            md.update((byte) c.offer().network().network().length());
            return base + "." + HexFormat.of().formatHex(md.digest(), 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-224 is required of every JDK", e);
        }
    }
}
