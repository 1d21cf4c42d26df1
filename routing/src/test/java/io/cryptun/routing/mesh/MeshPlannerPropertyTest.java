package io.cryptun.routing.mesh;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.noise.crypto.Keys;
import io.cryptun.routing.CryptMode;
import io.cryptun.routing.CryptunRecord;
import io.cryptun.routing.NodeId;
import io.cryptun.routing.RecordStatus;
import io.cryptun.routing.TunNetwork;
import io.cryptun.routing.TunnelSearch;
import io.cryptun.routing.bmx7.Bmx7Numbers;
import org.junit.jupiter.api.Test;

import java.net.Inet6Address;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Random meshes: the planner's invariants hold whatever the input. */
class MeshPlannerPropertyTest {
    private static final int CASES = 600;
    private static final String[] NETS = {"0.0.0.0/0", "10.0.0.0/8", "10.99.0.0/16", "10.99.1.0/24", "10.77.0.0/16",
            "10.254.1.1/32", "10.254.2.1/32", "10.254.3.1/32", "::/0", "2001:db8::/32", "2001:db8:99::/48",
            "2001:db8:1::/64", "2001:db8:2::/64"};
    private static final String[] SOURCES = {"10.254.1.1/32", "10.254.2.1/32", "10.254.3.1/32", "10.254.4.1/32",
            "10.254.5.0/24", "2001:db8:1::1/128", "2001:db8:2::1/128", "2001:db8:3::1/128", "2001:db8:99::/48"};

    /** One random case: the view, the settings, and a plausible previous plan. */
    private record Case(MeshView view, LocalSettings settings, MeshPlan previous, boolean defaultOverlap) {
    }

    private static byte[] key(int n) {
        byte[] k = new byte[32];
        k[0] = (byte) (n + 1);
        k[31] = 0x42;
        return k;
    }

    private static List<IpPrefix> pick(Random rnd, String[] pool, int max) {
        Set<IpPrefix> out = new TreeSet<>();
        int n = rnd.nextInt(max + 1);
        for (int i = 0; i < n; i++) {
            out.add(IpPrefix.parse(pool[rnd.nextInt(pool.length)]));
        }
        return new ArrayList<>(out);
    }

    private static Case randomCase(Random rnd) {
        int n = 2 + rnd.nextInt(7);
        List<NodeId> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] b = new byte[NodeId.LENGTH];
            rnd.nextBytes(b);
            ids.add(NodeId.of(b));
        }
        NodeId self = ids.get(0);
        List<IpPrefix> ownSources = pick(rnd, SOURCES, 3);
        CryptunRecord own = CryptunRecord.of(key(0), 51820, ownSources);
        List<MeshNode> nodes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            NodeId id = ids.get(i);
            List<TunNetwork> nets = new ArrayList<>();
            for (IpPrefix p : pick(rnd, NETS, 4)) {
                nets.add(TunNetwork.of(p, Bmx7Numbers.fmu8Value(rnd.nextInt(256))));
            }
            RecordStatus rec;
            int r = rnd.nextInt(10);
            if (i == 0) {
                rec = RecordStatus.valid(own);
            } else if (r < 2) {
                rec = RecordStatus.ABSENT;
            } else if (r == 2) {
                rec = RecordStatus.malformed("bad");
            } else {
                int keyNo = rnd.nextInt(6) == 0 ? rnd.nextInt(3) : i; // sometimes shared or our own
                rec = RecordStatus.valid(CryptunRecord.of(key(keyNo), 1000 + rnd.nextInt(60000), pick(rnd, SOURCES, 3)));
            }
            Inet6Address bmx7Primary = rnd.nextInt(15) == 0 ? ids.get(rnd.nextInt(n)).primaryAddress()
                    : rnd.nextBoolean() ? id.primaryAddress() : null;
            long metric = rnd.nextInt(8) == 0 ? 0 : 1000 + (long) rnd.nextInt(1_000_000_000);
            nodes.add(new MeshNode(id, "n" + i, bmx7Primary, metric, nets, rec));
        }
        MeshView view = MeshView.of(self, nodes);
        List<TunnelSearch> searches = new ArrayList<>();
        boolean defaultOverlap = rnd.nextInt(3) != 0;
        int ns = 1 + rnd.nextInt(4);
        for (int i = 0; i < ns; i++) {
            TunnelSearch.Builder b = TunnelSearch.builder("s" + i, IpPrefix.parse(NETS[rnd.nextInt(NETS.length)]))
                    .hysteresis(rnd.nextInt(4) * 10).rating(50 + rnd.nextInt(100))
                    .minBandwidth(rnd.nextInt(3) == 0 ? 50_000_000 : 1000);
            if (rnd.nextBoolean()) {
                b.minPrefixLen(rnd.nextInt(129));
            }
            if (rnd.nextInt(4) == 0) {
                b.maxPrefixLen(rnd.nextInt(129));
            }
            if (rnd.nextInt(5) == 0) {
                b.tableRule(30000 + rnd.nextInt(2), 100 + rnd.nextInt(2) * 0);
            }
            if (!defaultOverlap) {
                b.allowOverlappingPrefix(rnd.nextBoolean()).breakOverlappingPrefix(rnd.nextBoolean());
            }
            if (rnd.nextInt(6) == 0) {
                b.gwId(ids.get(rnd.nextInt(n)));
            }
            searches.add(b.build());
        }
        CryptMode mode = CryptMode.values()[rnd.nextInt(3)];
        List<OfferedNetwork> offers = rnd.nextBoolean() ? List.of() : List.of(new OfferedNetwork("gw", IpPrefix.parse("10.99.0.0/16"), 1000));
        Set<NodeId> allow = rnd.nextInt(4) == 0 ? new HashSet<>(ids.subList(0, 1 + rnd.nextInt(n))) : null;
        List<IpPrefix> accepted = rnd.nextInt(4) == 0 ? List.of(IpPrefix.parse("10.254.0.0/16")) : List.of();
        LocalSettings settings = new LocalSettings(self, own, mode, searches, offers, allow, accepted);
        MeshPlan previous = MeshPlan.EMPTY;
        if (rnd.nextBoolean()) {
            List<MeshNode> shifted = new ArrayList<>();
            for (MeshNode m : nodes) {
                shifted.add(m.withPathMetric(m.pathMetric() == 0 ? 0 : 1000 + (long) rnd.nextInt(1_000_000_000)));
            }
            previous = MeshPlanner.plan(settings, MeshView.of(self, shifted), MeshPlan.EMPTY);
        }
        return new Case(view, settings, previous, defaultOverlap);
    }

    @Test
    void invariantsHoldOnRandomMeshes() {
        Random rnd = new Random(20261123);
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < CASES; i++) {
            Case c = randomCase(rnd);
            MeshPlan plan = MeshPlanner.plan(c.settings, c.view, c.previous);
            String ctx = "case " + i + " " + c.settings.mode();
            checkInvariants(c, plan, ctx);
            count(seen, "peers", !plan.peers().isEmpty());
            count(seen, "handoffs", plan.mode() == CryptMode.PREFER && !plan.bmx7Searches().isEmpty());
            count(seen, "client routes", plan.routes().stream().anyMatch(r -> r.purpose() == PlannedRoute.Purpose.CLIENT));
            count(seen, "gateway routes", plan.routes().stream().anyMatch(r -> r.purpose() == PlannedRoute.Purpose.GATEWAY));
            for (PlanIssue.Kind k : PlanIssue.Kind.values()) {
                count(seen, k.name(), plan.issues().stream().anyMatch(x -> x.kind() == k));
            }

            List<TunnelSearch> shuffled = new ArrayList<>(c.settings.searches());
            Collections.shuffle(shuffled, rnd);
            assertEquals(plan, MeshPlanner.plan(c.settings.withSearches(shuffled), c.view, c.previous),
                    ctx + ": deterministic whatever the search order");
            assertEquals(plan, MeshPlanner.plan(c.settings, c.view, c.previous), ctx + ": deterministic");
        }
        // the generator must reach every situation, or the invariants above prove little
        for (String what : List.of("peers", "handoffs", "client routes", "gateway routes", "MALFORMED_RECORD",
                "NOT_ALLOWED", "ADDRESS_MISMATCH", "DUPLICATE_KEY", "OWN_KEY", "PREFIX_CONFLICT", "SOURCE_NOT_ACCEPTED",
                "NO_SOURCE_FOR_FAMILY")) {
            assertTrue(seen.getOrDefault(what, 0) >= 5, what + " seen only " + seen.getOrDefault(what, 0) + " times");
        }
    }

    private static void count(Map<String, Integer> seen, String what, boolean happened) {
        if (happened) {
            seen.merge(what, 1, Integer::sum);
        }
    }

    @Test
    void plansSettleAfterOneRoundOfHysteresis() {
        Random rnd = new Random(7);
        int checked = 0;
        for (int i = 0; i < CASES; i++) {
            Case c = randomCase(rnd);
            if (!c.defaultOverlap) {
                continue;
            }
            MeshPlan p1 = MeshPlanner.plan(c.settings, c.view, MeshPlan.EMPTY);
            MeshPlan p2 = MeshPlanner.plan(c.settings, c.view, p1);
            MeshPlan p3 = MeshPlanner.plan(c.settings, c.view, p2);
            assertEquals(p1.peers(), p2.peers(), "case " + i + ": the same view keeps the same peers");
            assertEquals(p1.routes(), p2.routes(), "case " + i);
            assertEquals(p2, p3, "case " + i);
            checked++;
        }
        assertTrue(checked > CASES / 2);
    }

    @Test
    void aVanishedGatewayIsReplacedByTheNextBestOne() {
        Random rnd = new Random(99);
        int failovers = 0;
        for (int i = 0; i < CASES; i++) {
            Case c = randomCase(rnd);
            if (c.settings.mode() == CryptMode.OFF) {
                continue;
            }
            MeshPlan before = MeshPlanner.plan(c.settings, c.view, MeshPlan.EMPTY);
            for (GatewayChoice gone : before.encryptedChoices()) {
                MeshView without = c.view.without(gone.offer().gateway());
                MeshPlan after = MeshPlanner.plan(c.settings, without, before);
                checkInvariants(new Case(without, c.settings, before, c.defaultOverlap), after, "failover case " + i);
                assertTrue(after.peers().stream().noneMatch(p -> p.node().equals(gone.offer().gateway())));
                MeshPlan fresh = MeshPlanner.plan(c.settings, without, MeshPlan.EMPTY);
                if (c.defaultOverlap) {
                    // with nothing else changed, the survivors are chosen as on a fresh start
                    assertEquals(TunnelTables.describe(fresh.encryptedChoices()), TunnelTables.describe(after.encryptedChoices()));
                }
                failovers++;
            }
        }
        assertTrue(failovers > 50, "generator produced too few gateways: " + failovers);
    }

    private static void checkInvariants(Case c, MeshPlan plan, String ctx) {
        LocalSettings s = c.settings;
        MeshView v = c.view;
        assertEquals(s.mode(), plan.mode(), ctx);
        if (s.mode() == CryptMode.OFF) {
            assertEquals(List.of(), plan.peers(), ctx + ": off mode never creates a peer");
            assertEquals(List.of(), plan.routes(), ctx);
            assertEquals(new HashSet<>(s.searches()), new HashSet<>(plan.bmx7Searches()), ctx);
            return;
        }
        if (s.mode() == CryptMode.REQUIRE) {
            assertEquals(List.of(), plan.bmx7Searches(), ctx + ": require never hands a search to bmx7");
            assertEquals(List.of(), plan.plainChoices(), ctx);
        }
        assertEquals(plan.plainChoices().size(), plan.bmx7Searches().size(), ctx);

        Map<IpPrefix, NodeId> owner = new HashMap<>();
        Map<String, Integer> keyCount = new HashMap<>();
        for (MeshNode n : v.others()) {
            if (n.record().isValid() && s.isAllowed(n.id()) && n.addressConsistent()) {
                keyCount.merge(Keys.toBase64(n.record().record().publicKey()), 1, Integer::sum);
            }
        }
        String ownKey = Keys.toBase64(s.ownRecord().publicKey());
        for (PlannedPeer p : plan.peers()) {
            assertFalse(p.node().equals(v.self()), ctx + ": never a peer with itself");
            MeshNode n = v.node(p.node()).orElseThrow();
            assertTrue(n.record().isValid(), ctx);
            assertTrue(s.isAllowed(p.node()), ctx + ": allow-list");
            assertTrue(n.addressConsistent(), ctx);
            String k = Keys.toBase64(p.publicKey());
            assertEquals(Keys.toBase64(n.record().record().publicKey()), k, ctx);
            assertEquals(1, keyCount.get(k), ctx + ": duplicate keys refused");
            assertFalse(k.equals(ownKey), ctx + ": own key refused");
            assertEquals(p.node().primaryAddress(), p.endpointAddress(), ctx);
            assertEquals(n.record().record().port(), p.endpointPort(), ctx);
            assertFalse(p.allowedIps().isEmpty(), ctx);
            for (IpPrefix a : p.allowedIps()) {
                NodeId prev = owner.put(a, p.node());
                assertTrue(prev == null, ctx + ": " + a + " given to two peers");
                assertTrue(plan.routes().stream().anyMatch(r -> r.prefix().equals(a) && r.via().equals(p.node())),
                        ctx + ": allowed " + a + " has a route");
            }
        }
        for (PlannedRoute r : plan.routes()) {
            assertEquals(r.via(), owner.get(r.prefix()), ctx + ": route " + r.prefix() + " goes to its peer");
        }
        boolean gateway = !s.offers().isEmpty() || v.node(v.self()).map(n -> !n.networks().isEmpty()).orElse(false);
        if (!gateway) {
            assertTrue(plan.routes().stream().allMatch(r -> r.purpose() == PlannedRoute.Purpose.GATEWAY), ctx);
        }
        Set<String> encryptedSlots = new HashSet<>();
        for (GatewayChoice ch : plan.encryptedChoices()) {
            assertTrue(plan.peer(ch.offer().gateway()).isPresent(), ctx);
            assertTrue(v.node(ch.offer().gateway()).orElseThrow().isReachable(), ctx);
            assertTrue(s.ownRecord().hasSourceOfFamily(ch.route().isIpv4()), ctx);
            encryptedSlots.add(ch.search().table() + " " + ch.search().ipMetric() + " " + ch.route());
        }
        for (GatewayChoice ch : plan.plainChoices()) {
            assertFalse(encryptedSlots.contains(ch.search().table() + " " + ch.search().ipMetric() + " " + ch.route()),
                    ctx + ": bmx7 and cryptun never route the same prefix");
        }
        for (TunnelSearch h : plan.bmx7Searches()) {
            assertTrue(TunnelSearch.isValidName(h.name()), ctx);
            assertTrue(h.gwId() != null, ctx);
        }
    }
}
