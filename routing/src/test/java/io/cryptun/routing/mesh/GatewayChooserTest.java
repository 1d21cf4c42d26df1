package io.cryptun.routing.mesh;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.routing.Fixtures;
import io.cryptun.routing.NodeId;
import io.cryptun.routing.TunNetwork;
import io.cryptun.routing.TunnelSearch;
import io.cryptun.routing.bmx7.Bmx7Numbers;
import io.cryptun.routing.bmx7.TunnelRow;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GatewayChooserTest {
    private static final NodeId C = NodeId.parse(Fixtures.C);
    private static final NodeId D = NodeId.parse(Fixtures.D);

    @Test
    void picksWhatBmx7PickedInEveryCapture() {
        for (String capture : List.of("A.show_tunnels", "B.show_tunnels", "A.show_tunnels_after_dyn1",
                "A.show_tunnels_after_D_stop")) {
            TunnelTables t = new TunnelTables(capture);
            List<GatewayChoice> ours = GatewayChooser.choose(t.searches, t.offers, t.active);
            assertEquals(t.bmx7Choices(), TunnelTables.describe(ours), capture);
        }
    }

    @Test
    void aChoseDsNetworkBecauseDWasBetterWhenItChoseAndHysteresisKeptIt() {
        TunnelTables t = new TunnelTables("A.show_tunnels");
        // tunMtc is the rating of bmx7's last evaluation: D's active 10.99.0.0/16 shows 493M = 1.2 x 411M,
        // C's unused one 402M. With those path metrics and nothing in use, D wins on its own:
        List<GatewayOffer> then = TunnelTables.withPathMetric(t.offers, Map.of(D, 411_000_000L, C, 402_000_000L));
        assertTrue(TunnelTables.describe(GatewayChooser.choose(t.searches, then, Set.of())).contains("v4any 10.99.0.0/16 6F340E14"));
        // now both paths are 706M; D keeps the route thanks to the 20 % hysteresis
        List<GatewayChoice> now = GatewayChooser.choose(t.searches, t.offers, t.active);
        GatewayChoice d = now.stream().filter(c -> c.route().equals(IpPrefix.parse("10.99.0.0/16"))).findFirst().orElseThrow();
        assertEquals(D, d.offer().gateway());
        assertEquals(847_200_000L, d.tunMetric());
        // with nothing in use and an exact tie, the lower gateway id wins (bmx7 would use memory order)
        List<GatewayChoice> fresh = GatewayChooser.choose(t.searches, t.offers, Set.of());
        assertTrue(TunnelTables.describe(fresh).contains("v4any 10.99.0.0/16 1A5C9522"));
    }

    @Test
    void afterDStoppedCTookOverAndV4dfltHasNothing() {
        TunnelTables t = new TunnelTables("A.show_tunnels_after_D_stop");
        List<GatewayChoice> ours = GatewayChooser.choose(t.searches, t.offers, Set.of());
        assertTrue(TunnelTables.describe(ours).contains("v4any 10.99.0.0/16 1A5C9522"));
        assertTrue(ours.stream().noneMatch(c -> c.search().name().equals("v4dflt")));
    }

    @Test
    void ratingsMatchBmx7sTunMetricColumn() {
        // A.show_tunnels and _after_dyn1 hold ratings from an older evaluation, so only these two are compared
        for (String capture : List.of("B.show_tunnels", "A.show_tunnels_after_D_stop")) {
            TunnelTables t = new TunnelTables(capture);
            for (TunnelRow r : t.rows) {
                if (!r.hasAnnouncement()) {
                    continue;
                }
                TunnelSearch s = t.searches.stream().filter(x -> x.name().equals(r.tunOut())).findFirst().orElseThrow();
                long quality = GatewayChooser.endToEnd(s, new GatewayOffer(C, null,
                        TunNetwork.of(r.advNet(), r.advBandwidth()), Long.MAX_VALUE));
                long[] path = Bmx7Numbers.compactRange(Bmx7Numbers.formatCompact(r.pathMetric()));
                long lo = GatewayChooser.tunMetric(s, Math.min(quality, path[0]), r.isActive());
                long hi = GatewayChooser.tunMetric(s, Math.min(quality, path[1]), r.isActive());
                long[] shown = Bmx7Numbers.compactRange(Bmx7Numbers.formatCompact(r.tunMetric()));
                assertTrue(lo < shown[1] && shown[0] <= hi, capture + " " + r + ": ours [" + lo + "," + hi + "]");
            }
        }
    }

    private static GatewayOffer offer(NodeId gw, String net, long bw, long path) {
        return new GatewayOffer(gw, gw.shortId(), TunNetwork.of(IpPrefix.parse(net), bw), path);
    }

    private static final long BIG = Bmx7Numbers.UMETRIC_MAX;

    @Test
    void moreSpecificPrefixesAreChosenBesideLessSpecificOnes() {
        TunnelSearch s = TunnelSearch.builder("any", IpPrefix.parse("0.0.0.0/0")).build();
        List<GatewayChoice> r = GatewayChooser.choose(List.of(s), List.of(offer(C, "0.0.0.0/0", BIG, 900_000_000L),
                offer(D, "10.99.0.0/16", BIG, 100_000_000L)), Set.of());
        assertEquals(Set.of("any 10.99.0.0/16 6F340E14", "any 0.0.0.0/0 1A5C9522"), TunnelTables.describe(r));
        assertEquals(IpPrefix.parse("10.99.0.0/16"), r.get(0).route(), "evaluation order: most specific first");
    }

    @Test
    void withoutOverlapPermissionsABetterLessSpecificRouteSuppressesAWorseMoreSpecificOne() {
        TunnelSearch s = TunnelSearch.builder("any", IpPrefix.parse("0.0.0.0/0")).allowOverlappingPrefix(false)
                .breakOverlappingPrefix(false).build();
        List<GatewayChoice> r = GatewayChooser.choose(List.of(s), List.of(offer(C, "0.0.0.0/0", BIG, 900_000_000L),
                offer(D, "10.99.0.0/16", BIG, 100_000_000L)), Set.of());
        assertEquals(Set.of("any 0.0.0.0/0 1A5C9522"), TunnelTables.describe(r));
    }

    @Test
    void bandwidthBelowTheMinimumLimitsTheRating() {
        TunnelSearch s = TunnelSearch.builder("v4", IpPrefix.parse("10.0.0.0/8")).minBandwidth(10_000_000).build();
        List<GatewayChoice> r = GatewayChooser.choose(List.of(s), List.of(offer(C, "10.99.0.0/16", 1_000_000, 900_000_000L),
                offer(D, "10.99.0.0/16", 16_000_000, 100_000_000L)), Set.of());
        assertEquals(D, r.get(0).offer().gateway(), "1 Mbit/s limits C to 1M, below D's 100M path");
        assertEquals(1, r.size());
    }

    @Test
    void hysteresisNeedsMoreThanTwentyPercentToSwitch() {
        TunnelSearch s = TunnelSearch.of("v4", IpPrefix.parse("10.0.0.0/8"));
        Set<ChoiceKey> usingC = Set.of(new ChoiceKey("v4", C, IpPrefix.parse("10.99.0.0/16")));
        List<GatewayOffer> close = List.of(offer(C, "10.99.0.0/16", BIG, 500_000_000L), offer(D, "10.99.0.0/16", BIG, 599_000_000L));
        assertEquals(C, GatewayChooser.choose(List.of(s), close, usingC).get(0).offer().gateway());
        assertEquals(D, GatewayChooser.choose(List.of(s), close, Set.of()).get(0).offer().gateway());
        List<GatewayOffer> far = List.of(offer(C, "10.99.0.0/16", BIG, 500_000_000L), offer(D, "10.99.0.0/16", BIG, 601_000_000L));
        assertEquals(D, GatewayChooser.choose(List.of(s), far, usingC).get(0).offer().gateway());
    }

    @Test
    void ratingWeighsSearchesAgainstEachOther() {
        TunnelSearch good = TunnelSearch.builder("good", IpPrefix.parse("10.0.0.0/8")).gwId(C).rating(200).build();
        TunnelSearch plain = TunnelSearch.of("plain", IpPrefix.parse("10.0.0.0/8"));
        List<GatewayOffer> offers = List.of(offer(C, "10.99.0.0/16", BIG, 300_000_000L), offer(D, "10.99.0.0/16", BIG, 500_000_000L));
        List<GatewayChoice> r = GatewayChooser.choose(List.of(good, plain), offers, Set.of());
        assertEquals(Set.of("good 10.99.0.0/16 1A5C9522"), TunnelTables.describe(r));
    }

    @Test
    void filtersByPrefixBoundsFamilyNameIdAndProtocol() {
        List<GatewayOffer> offers = List.of(offer(C, "10.99.0.0/16", BIG, 500_000_000L), offer(D, "10.99.1.0/24", BIG, 500_000_000L),
                offer(D, "0.0.0.0/0", BIG, 500_000_000L), offer(C, "2001:db8::/48", BIG, 500_000_000L),
                new GatewayOffer(C, "nodeC", new TunNetwork(IpPrefix.parse("10.98.0.0/16"), BIG, 0, 3), 500_000_000L));
        assertEquals(Set.of("s 10.99.0.0/16 1A5C9522", "s 10.98.0.0/16 1A5C9522"), TunnelTables.describe(GatewayChooser.choose(
                List.of(TunnelSearch.builder("s", IpPrefix.parse("10.0.0.0/8")).maxPrefixLen(16).build()), offers, Set.of())));
        assertEquals(Set.of("s 10.99.0.0/16 1A5C9522"), TunnelTables.describe(GatewayChooser.choose(
                List.of(TunnelSearch.builder("s", IpPrefix.parse("10.0.0.0/8")).maxPrefixLen(16).proto(0).build()), offers, Set.of())));
        assertEquals(Set.of("s 10.99.1.0/24 6F340E14"), TunnelTables.describe(GatewayChooser.choose(
                List.of(TunnelSearch.builder("s", IpPrefix.parse("10.0.0.0/8")).gwId(D).build()), offers, Set.of())));
        assertEquals(Set.of("s 10.0.0.0/8 6F340E14"), TunnelTables.describe(GatewayChooser.choose(
                List.of(TunnelSearch.builder("s", IpPrefix.parse("10.0.0.0/8")).minPrefixLen(0).maxPrefixLen(0).build()),
                offers, Set.of())), "a default route serves the more specific search network");
        assertEquals(Set.of("s 2001:db8::/48 1A5C9522"), TunnelTables.describe(GatewayChooser.choose(
                List.of(TunnelSearch.builder("s", IpPrefix.parse("2001:db8::/32")).gwName(C.shortId()).build()), offers, Set.of())));
        assertEquals(Set.of(), TunnelTables.describe(GatewayChooser.choose(
                List.of(TunnelSearch.builder("s", IpPrefix.parse("2001:db8::/32")).gwName("nobody").build()), offers, Set.of())));
    }

    @Test
    void unreachableGatewaysAreNotCandidates() {
        TunnelSearch s = TunnelSearch.of("v4", IpPrefix.parse("10.0.0.0/8"));
        assertEquals(List.of(), GatewayChooser.choose(List.of(s), List.of(offer(C, "10.99.0.0/16", BIG, 0)), Set.of()));
    }

    @Test
    void theResultDoesNotDependOnInputOrder() {
        TunnelTables t = new TunnelTables("A.show_tunnels_after_dyn1");
        List<GatewayChoice> reference = GatewayChooser.choose(t.searches, t.offers, t.active);
        java.util.Random rnd = new java.util.Random(7);
        for (int i = 0; i < 20; i++) {
            List<TunnelSearch> s = new ArrayList<>(t.searches);
            List<GatewayOffer> o = new ArrayList<>(t.offers);
            Collections.shuffle(s, rnd);
            Collections.shuffle(o, rnd);
            assertEquals(reference, GatewayChooser.choose(s, o, t.active));
        }
    }
}
