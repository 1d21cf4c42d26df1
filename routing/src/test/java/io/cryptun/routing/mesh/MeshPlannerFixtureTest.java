package io.cryptun.routing.mesh;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.noise.crypto.Keys;
import io.cryptun.routing.CryptMode;
import io.cryptun.routing.CryptunRecord;
import io.cryptun.routing.NodeId;
import io.cryptun.routing.RecordStatus;
import io.cryptun.routing.TunNetwork;
import io.cryptun.routing.TunnelSearch;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static io.cryptun.routing.mesh.FixtureMesh.A;
import static io.cryptun.routing.mesh.FixtureMesh.B;
import static io.cryptun.routing.mesh.FixtureMesh.C;
import static io.cryptun.routing.mesh.FixtureMesh.D;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The planner on node A's captured view: C and D publish cryptun records, B does not. */
class MeshPlannerFixtureTest {

    private static List<IpPrefix> prefixes(String... p) {
        return java.util.Arrays.stream(p).map(IpPrefix::parse).sorted().toList();
    }

    /** A's history: D had the better path when A chose, then both paths became 706M. */
    private static MeshPlan planAsBmx7Lived(LocalSettings settings) {
        MeshView now = FixtureMesh.viewOfA();
        MeshView then = now.with(now.node(D).orElseThrow().withPathMetric(411_000_000L))
                .with(now.node(C).orElseThrow().withPathMetric(402_000_000L));
        MeshPlan first = MeshPlanner.plan(settings, then, MeshPlan.EMPTY);
        return MeshPlanner.plan(settings, now, first);
    }

    @Test
    void theViewHoldsWhatTheCaptureShows() {
        MeshView v = FixtureMesh.viewOfA();
        assertEquals(A, v.self());
        assertEquals(Set.of(A, B, C, D), v.nodes().keySet());
        assertEquals(List.of(C, D, B), v.others().stream().map(MeshNode::id).toList(), "sorted by id");
        assertTrue(v.node(C).orElseThrow().record().isValid());
        assertTrue(v.node(D).orElseThrow().record().isValid());
        assertEquals(RecordStatus.ABSENT, v.node(B).orElseThrow().record());
        for (MeshNode n : v.nodes().values()) {
            assertTrue(n.addressConsistent(), n.toString());
        }
        assertEquals(706_000_000L, v.node(D).orElseThrow().pathMetric());
        assertEquals("nodeD", v.node(D).orElseThrow().hostname());
    }

    @Test
    void requireModePeersWithCAndDOnlyAndKeepsDForTheSharedNetwork() throws Exception {
        MeshPlan plan = planAsBmx7Lived(FixtureMesh.settingsOfA(CryptMode.REQUIRE));
        assertEquals(List.of(C, D), plan.peers().stream().map(PlannedPeer::node).toList());
        PlannedPeer c = plan.peer(C).orElseThrow();
        PlannedPeer d = plan.peer(D).orElseThrow();
        assertEquals(InetAddress.getByName("fd70:1a5c:9522:fe2a:e9ac:41ad:d74a:b5dc"), c.endpointAddress());
        assertEquals(InetAddress.getByName("fd70:6f34:e14:8eb6:6a89:551b:ce02:3228"), d.endpointAddress());
        assertEquals(51820, d.endpointPort());
        assertEquals("+/oQSoIyDLKSzjJS+zTwCDl527Hzs5NfyTuzmPHJvU0=", Keys.toBase64(d.publicKey()));
        // gateway choices plus, since A announces tunnel networks itself, the clients' tunnel sources
        assertEquals(prefixes("10.254.3.1/32", "2001:db8:3::/64", "2001:db8:3::1/128", "2001:db8:99::/48"), c.allowedIps());
        assertEquals(prefixes("0.0.0.0/0", "10.99.0.0/16", "10.254.4.1/32", "2001:db8:4::/64", "2001:db8:4::1/128"),
                d.allowedIps());
        assertEquals(List.of(), plan.bmx7Searches(), "require never hands a search to bmx7");
        assertEquals(List.of(), plan.issues());
        Set<String> gatewayRoutes = plan.routes().stream().filter(r -> r.purpose() == PlannedRoute.Purpose.GATEWAY)
                .map(r -> r.searchName() + " " + r.prefix() + " " + r.via().shortId()).collect(Collectors.toSet());
        assertEquals(Set.of("v4any 10.254.3.1/32 1A5C9522", "v4any 10.254.4.1/32 6F340E14", "v4any 10.99.0.0/16 6F340E14",
                "v4dflt 0.0.0.0/0 6F340E14", "v6any 2001:db8:3::/64 1A5C9522", "v6any 2001:db8:4::/64 6F340E14",
                "v6any 2001:db8:99::/48 1A5C9522"), gatewayRoutes);
        Set<String> clientRoutes = plan.routes().stream().filter(r -> r.purpose() == PlannedRoute.Purpose.CLIENT)
                .map(r -> r.prefix() + " " + r.via().shortId()).collect(Collectors.toSet());
        assertEquals(Set.of("2001:db8:3::1/128 1A5C9522", "2001:db8:4::1/128 6F340E14"), clientRoutes);
        assertTrue(plan.routes().stream().allMatch(r -> r.table() == 254 && r.metric() == 1024));
    }

    /**
     * A keeps up the tunnels to the gateways it chose for offered networks: D (10.99.0.0/16,
     * 0.0.0.0/0) and C (2001:db8:99::/48); none chosen only for tunnel addresses. Without C's IPv6
     * offer, C serves A nothing but its tunnel addresses and is reached on demand.
     */
    @Test
    void tunnelsToGatewaysOfOfferedNetworksAreKeptUpTheRestOnDemand() {
        LocalSettings settings = FixtureMesh.settingsOfA(CryptMode.REQUIRE);
        MeshPlan plan = planAsBmx7Lived(settings);
        assertTrue(plan.peer(C).orElseThrow().keepUp());
        assertTrue(plan.peer(D).orElseThrow().keepUp());
        MeshView now = FixtureMesh.viewOfA();
        MeshNode c = now.node(C).orElseThrow();
        List<TunNetwork> tunnelOnly = c.networks().stream()
                .filter(n -> n.bandwidth() == io.cryptun.routing.bmx7.Bmx7Numbers.UMETRIC_MAX).toList();
        MeshView withoutOffers = now.with(new MeshNode(c.id(), c.hostname(), c.bmx7PrimaryIp(), c.pathMetric(), tunnelOnly,
                c.record()));
        MeshPlan later = MeshPlanner.plan(settings, withoutOffers, plan);
        PlannedPeer onlyTunnel = later.peer(C).orElseThrow();
        assertTrue(onlyTunnel.allowedIps().contains(IpPrefix.parse("10.254.3.1/32")), onlyTunnel.toString());
        assertFalse(onlyTunnel.keepUp(), "a route to a node's own tunnel address alone comes up with traffic");
        assertTrue(later.peer(D).orElseThrow().keepUp());
    }

    @Test
    void preferModeHandsBsNetworksToBmx7AndTogetherMatchesBmx7sChoice() {
        MeshPlan plan = planAsBmx7Lived(FixtureMesh.settingsOfA(CryptMode.PREFER));
        assertEquals(List.of(C, D), plan.peers().stream().map(PlannedPeer::node).toList());
        assertEquals(Set.of("v4any 10.254.2.1/32 80EF62AC", "v6any 2001:db8:2::/64 80EF62AC"),
                TunnelTables.describe(plan.plainChoices()));
        for (TunnelSearch s : plan.bmx7Searches()) {
            assertEquals(B, s.gwId());
            assertEquals(s.network().length(), s.effectiveMinPrefixLen());
            assertEquals(s.network().length(), s.effectiveMaxPrefixLen());
            assertTrue(s.name().startsWith(s.isIpv4() ? "v4any." : "v6any."), s.name());
            assertTrue(TunnelSearch.isValidName(s.name()));
        }
        assertEquals(2, plan.bmx7Searches().size());
        List<GatewayChoice> all = new java.util.ArrayList<>(plan.encryptedChoices());
        all.addAll(plan.plainChoices());
        assertEquals(new TunnelTables("A.show_tunnels").bmx7Choices(), TunnelTables.describe(all),
                "encrypted and plain together route exactly what bmx7 routed");
    }

    @Test
    void aNarrowedSearchSelectsExactlyTheHandedOverAnnouncement() {
        MeshPlan plan = planAsBmx7Lived(FixtureMesh.settingsOfA(CryptMode.PREFER));
        MeshView v = FixtureMesh.viewOfA();
        for (TunnelSearch s : plan.bmx7Searches()) {
            int matches = 0;
            for (MeshNode n : v.others()) {
                for (TunNetwork net : n.networks()) {
                    if (s.matches(net, n.id(), n.hostname())) {
                        matches++;
                        assertEquals(B, n.id());
                    }
                }
            }
            assertEquals(1, matches, s.toString());
        }
    }

    @Test
    void offModeHandsEverySearchToBmx7AndMakesNoPeers() {
        LocalSettings off = FixtureMesh.settingsOfA(CryptMode.OFF);
        MeshPlan plan = MeshPlanner.plan(off, FixtureMesh.viewOfA(), MeshPlan.EMPTY);
        assertEquals(List.of(), plan.peers());
        assertEquals(List.of(), plan.routes());
        assertEquals(Set.copyOf(off.searches()), Set.copyOf(plan.bmx7Searches()));
        assertEquals(List.of("tunOut=v4any /network=10.0.0.0/8", "tunOut=v4dflt /network=0.0.0.0/0 /maxPrefixLen=0",
                "tunOut=v6any /network=2001:db8::/32"), plan.bmx7Searches().stream().map(TunnelSearch::toBmx7Option).toList());
    }

    @Test
    void whenDStopsCTakesOverTheSharedNetworkAndTheDefaultRouteGoes() {
        LocalSettings settings = FixtureMesh.settingsOfA(CryptMode.REQUIRE);
        MeshPlan before = planAsBmx7Lived(settings);
        MeshPlan after = MeshPlanner.plan(settings, FixtureMesh.viewOfA().without(D), before);
        assertEquals(List.of(C), after.peers().stream().map(PlannedPeer::node).toList());
        assertTrue(after.peer(C).orElseThrow().allowedIps().contains(IpPrefix.parse("10.99.0.0/16")));
        assertTrue(after.routes().stream().noneMatch(r -> r.prefix().equals(IpPrefix.parse("0.0.0.0/0"))));
        assertEquals(Set.of("v4any 10.254.3.1/32 1A5C9522", "v4any 10.99.0.0/16 1A5C9522", "v6any 2001:db8:3::/64 1A5C9522",
                "v6any 2001:db8:99::/48 1A5C9522"), TunnelTables.describe(after.encryptedChoices()));
        // the captured table after D stopped shows the same for the keyed gateway (B's rows are plain)
        Set<String> bmx7 = new TunnelTables("A.show_tunnels_after_D_stop").bmx7Choices().stream()
                .filter(s -> !s.endsWith("80EF62AC")).collect(Collectors.toSet());
        assertEquals(bmx7, TunnelTables.describe(after.encryptedChoices()));
        // next round C has the hysteresis bonus, as bmx7's 847M shows
        MeshPlan settled = MeshPlanner.plan(settings, FixtureMesh.viewOfA().without(D), after);
        assertTrue(settled.encryptedChoices().stream().allMatch(c -> c.tunMetric() == 847_200_000L));
        assertEquals(after.peers(), settled.peers());
    }

    @Test
    void anUnchangedViewGivesAnEqualPlanAndAChangedRecordChangesOnlyThatPeer() throws Exception {
        LocalSettings settings = FixtureMesh.settingsOfA(CryptMode.REQUIRE);
        MeshPlan p1 = planAsBmx7Lived(settings);
        MeshPlan p2 = MeshPlanner.plan(settings, FixtureMesh.viewOfA(), p1);
        assertEquals(p1.peers(), p2.peers());
        assertEquals(p1.routes(), p2.routes());
        MeshView v = FixtureMesh.viewOfA();
        CryptunRecord c = v.node(C).orElseThrow().record().record();
        CryptunRecord moved = CryptunRecord.of(c.publicKey(), 51999, c.tunnelSources());
        MeshPlan p3 = MeshPlanner.plan(settings, v.with(v.node(C).orElseThrow().withRecord(RecordStatus.valid(moved))), p2);
        assertEquals(51999, p3.peer(C).orElseThrow().endpointPort());
        assertEquals(p2.peer(D), p3.peer(D));
        assertEquals(p2.routes(), p3.routes());
    }

    @Test
    void duplicateKeysRefuseBothNodes() {
        LocalSettings settings = FixtureMesh.settingsOfA(CryptMode.REQUIRE);
        MeshView v = FixtureMesh.viewOfA();
        MeshView dup = v.with(v.node(D).orElseThrow().withRecord(v.node(C).orElseThrow().record()));
        MeshPlan plan = MeshPlanner.plan(settings, dup, MeshPlan.EMPTY);
        assertEquals(List.of(), plan.peers());
        assertEquals(List.of(), plan.routes());
        assertEquals(Set.of(C, D), plan.issues().stream().filter(i -> i.kind() == PlanIssue.Kind.DUPLICATE_KEY)
                .map(PlanIssue::node).collect(Collectors.toSet()));
    }

    @Test
    void aNodeAnnouncingOurOwnKeyIsRefused() {
        LocalSettings settings = FixtureMesh.settingsOfA(CryptMode.REQUIRE);
        MeshView v = FixtureMesh.viewOfA();
        CryptunRecord stolen = CryptunRecord.of(FixtureMesh.recordOfA().publicKey(), 51820, List.of(IpPrefix.parse("10.254.4.1/32")));
        MeshPlan plan = MeshPlanner.plan(settings, v.with(v.node(D).orElseThrow().withRecord(RecordStatus.valid(stolen))), MeshPlan.EMPTY);
        assertEquals(List.of(C), plan.peers().stream().map(PlannedPeer::node).toList());
        assertTrue(plan.issues().contains(new PlanIssue(PlanIssue.Kind.OWN_KEY, D, "announces this node's own public key")));
        assertTrue(plan.peer(C).orElseThrow().allowedIps().contains(IpPrefix.parse("10.99.0.0/16")), "C serves it instead");
    }

    @Test
    void theAllowListLimitsWhoMayPeer() {
        LocalSettings settings = FixtureMesh.settingsOfA(CryptMode.REQUIRE).withAllowList(Set.of(C));
        MeshPlan plan = MeshPlanner.plan(settings, FixtureMesh.viewOfA(), MeshPlan.EMPTY);
        assertEquals(List.of(C), plan.peers().stream().map(PlannedPeer::node).toList());
        assertTrue(plan.issues().stream().anyMatch(i -> i.kind() == PlanIssue.Kind.NOT_ALLOWED && i.node().equals(D)));
        assertFalse(plan.issues().stream().anyMatch(i -> i.node() != null && i.node().equals(B)), "B has no record at all");
    }

    @Test
    void malformedRecordsAndAddressMismatchesAreRefusedWithAnIssue() throws Exception {
        LocalSettings settings = FixtureMesh.settingsOfA(CryptMode.REQUIRE);
        MeshView v = FixtureMesh.viewOfA();
        MeshNode d = v.node(D).orElseThrow();
        MeshView broken = v.with(d.withRecord(RecordStatus.malformed("record of 1100 bytes exceeds 1023")));
        MeshPlan plan = MeshPlanner.plan(settings, broken, MeshPlan.EMPTY);
        assertEquals(List.of(C), plan.peers().stream().map(PlannedPeer::node).toList());
        assertEquals(List.of(new PlanIssue(PlanIssue.Kind.MALFORMED_RECORD, D, "record of 1100 bytes exceeds 1023")), plan.issues());

        MeshNode lying = new MeshNode(D, d.hostname(), C.primaryAddress(), d.pathMetric(), d.networks(), d.record());
        plan = MeshPlanner.plan(settings, v.with(lying), MeshPlan.EMPTY);
        assertEquals(List.of(C), plan.peers().stream().map(PlannedPeer::node).toList());
        assertEquals(PlanIssue.Kind.ADDRESS_MISMATCH, plan.issues().get(0).kind());
    }

    @Test
    void onGatewayCClientAGetsItsTunnelSources() {
        // the same captured data seen with C as the local node: C offers gw4/gw6, A and D are clients
        MeshView v = FixtureMesh.viewOfA();
        MeshView fromC = new MeshView(C, v.nodes());
        CryptunRecord recordOfC = v.node(C).orElseThrow().record().record();
        LocalSettings c = LocalSettings.of(C, recordOfC, CryptMode.REQUIRE, List.of())
                .withOffers(List.of(new OfferedNetwork("gw4", IpPrefix.parse("10.99.0.0/16"), 32_000_000)));
        MeshPlan plan = MeshPlanner.plan(c, fromC, MeshPlan.EMPTY);
        assertEquals(List.of(A, D), plan.peers().stream().map(PlannedPeer::node).toList());
        assertEquals(prefixes("10.254.1.1/32", "2001:db8:1::1/128"), plan.peer(A).orElseThrow().allowedIps());
        assertEquals(prefixes("10.254.4.1/32", "2001:db8:4::1/128"), plan.peer(D).orElseThrow().allowedIps());
        assertTrue(plan.routes().stream().allMatch(r -> r.purpose() == PlannedRoute.Purpose.CLIENT));

        LocalSettings narrow = c.withAcceptedClientSources(List.of(IpPrefix.parse("10.254.0.0/16")));
        MeshPlan filtered = MeshPlanner.plan(narrow, fromC, MeshPlan.EMPTY);
        assertEquals(prefixes("10.254.1.1/32"), filtered.peer(A).orElseThrow().allowedIps());
        assertEquals(2, filtered.issues().stream().filter(i -> i.kind() == PlanIssue.Kind.SOURCE_NOT_ACCEPTED).count());
    }

    @Test
    void twoClientsClaimingOneSourceGetItNeither() {
        MeshView v = FixtureMesh.viewOfA();
        MeshView fromC = new MeshView(C, v.nodes());
        CryptunRecord d = v.node(D).orElseThrow().record().record();
        CryptunRecord dClaimsA = CryptunRecord.of(d.publicKey(), d.port(), List.of(IpPrefix.parse("10.254.1.1/32"),
                IpPrefix.parse("2001:db8:4::1/128")));
        LocalSettings c = LocalSettings.of(C, v.node(C).orElseThrow().record().record(), CryptMode.REQUIRE, List.of())
                .withOffers(List.of(new OfferedNetwork("gw4", IpPrefix.parse("10.99.0.0/16"), 32_000_000)));
        MeshPlan plan = MeshPlanner.plan(c, fromC.with(fromC.node(D).orElseThrow().withRecord(RecordStatus.valid(dClaimsA))),
                MeshPlan.EMPTY);
        assertEquals(prefixes("2001:db8:1::1/128"), plan.peer(A).orElseThrow().allowedIps());
        assertEquals(prefixes("2001:db8:4::1/128"), plan.peer(D).orElseThrow().allowedIps());
        assertEquals(Set.of(A, D), plan.issues().stream().filter(i -> i.kind() == PlanIssue.Kind.PREFIX_CONFLICT)
                .map(PlanIssue::node).collect(Collectors.toSet()));
    }

    @Test
    void aSearchOfAFamilyWithoutOwnSourceIsReportedAndServedPlainInPreferMode() {
        CryptunRecord v4only = CryptunRecord.of(FixtureMesh.recordOfA().publicKey(), 51820, List.of(IpPrefix.parse("10.254.1.1/32")));
        LocalSettings base = FixtureMesh.settingsOfA(CryptMode.PREFER);
        LocalSettings s = new LocalSettings(A, v4only, CryptMode.PREFER, base.searches(), List.of(), null, List.of());
        MeshPlan plan = MeshPlanner.plan(s, FixtureMesh.viewOfA(), MeshPlan.EMPTY);
        assertTrue(plan.encryptedChoices().stream().allMatch(c -> c.route().isIpv4()));
        assertTrue(plan.plainChoices().stream().anyMatch(c -> c.route().equals(IpPrefix.parse("2001:db8:99::/48"))));
        assertTrue(plan.issues().stream().anyMatch(i -> i.kind() == PlanIssue.Kind.NO_SOURCE_FOR_FAMILY));
    }

    @Test
    void theSettingsMustBeForTheViewsNode() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> MeshPlanner.plan(
                FixtureMesh.settingsOfA(CryptMode.REQUIRE), new MeshView(B, FixtureMesh.viewOfA().nodes()), MeshPlan.EMPTY));
    }

    @Test
    void planningWithoutPreviousPlanIsAllowed() {
        MeshPlan a = MeshPlanner.plan(FixtureMesh.settingsOfA(CryptMode.REQUIRE), FixtureMesh.viewOfA(), null);
        MeshPlan b = MeshPlanner.plan(FixtureMesh.settingsOfA(CryptMode.REQUIRE), FixtureMesh.viewOfA(), MeshPlan.EMPTY);
        assertEquals(a, b);
        NodeId unused = NodeId.parse(io.cryptun.routing.Fixtures.B);
        assertTrue(a.peer(unused).isEmpty());
    }
}
