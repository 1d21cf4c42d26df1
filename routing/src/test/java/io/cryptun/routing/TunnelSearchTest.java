package io.cryptun.routing;

import io.cryptun.noise.allowedips.IpPrefix;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TunnelSearchTest {
    private static final NodeId C = NodeId.parse(Fixtures.C);

    @Test
    void defaultsAreBmx7s() {
        TunnelSearch s = TunnelSearch.of("v4any", IpPrefix.parse("10.0.0.0/8"));
        assertEquals(8, s.effectiveMinPrefixLen(), "min defaults to the network's length");
        assertEquals(128, s.effectiveMaxPrefixLen());
        assertEquals(20, s.hysteresis());
        assertEquals(100, s.rating());
        assertEquals(960, s.effectiveMinBandwidth(), "bmx7 shows minBw 960 for the default 1000");
        assertEquals(32767, s.tablePref());
        assertEquals(254, s.table());
        assertEquals(1024, s.ipMetric());
        assertEquals("tunOut=v4any /network=10.0.0.0/8", s.toBmx7Option());
    }

    @Test
    void optionTextRoundTrips() {
        String text = "tunOut=pepe /network=0.0.0.0/0 /minPrefixLen=0 /maxPrefixLen=0 /hysteresis=30 /rating=150"
                + " /minBandwidth=5000000 /gwName=pepe /gwId=" + Fixtures.C + " /allowOverlappingPrefix=0"
                + " /breakOverlappingPrefix=0 /ipMetric=10 /tableRule=40000/140 /proto=0";
        TunnelSearch s = TunnelSearch.parseBmx7Option(text);
        assertEquals(text, s.toBmx7Option());
        assertEquals(s, TunnelSearch.parseBmx7Option(s.toBmx7Option().substring("tunOut=".length())));
        assertEquals(40000, s.tablePref());
        assertEquals(140, s.table());
        assertEquals(C, s.gwId());
        assertThrows(IllegalArgumentException.class, () -> TunnelSearch.parseBmx7Option("x /srcNet=10.0.0.0/8 /network=10.0.0.0/8"));
        assertThrows(IllegalArgumentException.class, () -> TunnelSearch.parseBmx7Option("x"));
        assertThrows(IllegalArgumentException.class, () -> TunnelSearch.fromOption("x", Map.of("network", "10.0.0.0/8", "rating", "-1")));
        assertThrows(IllegalArgumentException.class, () -> TunnelSearch.fromOption("x", Map.of("network", "10.0.0.0/8", "tableRule", "5")));
        assertThrows(IllegalArgumentException.class, () -> TunnelSearch.fromOption("x", Map.of("network", "10.0.0.0/8", "tableRule", "60/100")),
                "a rule before bmx7's table 70 could capture the WireGuard endpoints");
        assertThrows(IllegalArgumentException.class, () -> TunnelSearch.fromOption("x", Map.of("network", "10.0.0.0/8", "tableRule", "100/70")));
    }

    @Test
    void namesFollowBmx7sRules() {
        for (String ok : List.of("a", "v4any", "a.b", "A-_9", "x".repeat(31))) {
            assertTrue(TunnelSearch.isValidName(ok), ok);
        }
        for (String bad : List.of("", ".a", "a.", "a b", "a/b", "x".repeat(32), "ü")) {
            assertFalse(TunnelSearch.isValidName(bad), bad);
            assertThrows(IllegalArgumentException.class, () -> TunnelSearch.of(bad, IpPrefix.parse("10.0.0.0/8")));
        }
    }

    @Test
    void matchingFollowsTheTunPlugin() {
        TunnelSearch any = TunnelSearch.of("v4any", IpPrefix.parse("10.0.0.0/8"));
        assertTrue(any.matches(TunNetwork.of(IpPrefix.parse("10.99.0.0/16"), 1), C, null));
        assertTrue(any.matches(TunNetwork.of(IpPrefix.parse("10.0.0.0/8"), 1), C, null));
        assertFalse(any.matches(TunNetwork.of(IpPrefix.parse("0.0.0.0/0"), 1), C, null), "shorter than min");
        assertFalse(any.matches(TunNetwork.of(IpPrefix.parse("11.0.0.0/16"), 1), C, null), "outside");
        assertFalse(any.matches(TunNetwork.of(IpPrefix.parse("2001:db8::/32"), 1), C, null), "family");
        TunnelSearch dflt = TunnelSearch.builder("v4dflt", IpPrefix.parse("0.0.0.0/0")).maxPrefixLen(0).build();
        assertTrue(dflt.matches(TunNetwork.of(IpPrefix.parse("0.0.0.0/0"), 1), C, null));
        assertFalse(dflt.matches(TunNetwork.of(IpPrefix.parse("10.99.0.0/16"), 1), C, null));
        TunnelSearch exact = TunnelSearch.builder("n", IpPrefix.parse("10.0.0.0/8"))
                .maxPrefixLen(TunnelSearch.PREFIX_OF_NETWORK).build();
        assertFalse(exact.matches(TunNetwork.of(IpPrefix.parse("10.99.0.0/16"), 1), C, null));
        assertEquals(IpPrefix.parse("10.0.0.0/8"), exact.routeFor(IpPrefix.parse("0.0.0.0/0")));
        assertEquals(IpPrefix.parse("10.99.0.0/16"), exact.routeFor(IpPrefix.parse("10.99.0.0/16")));
    }

    @Test
    void cryptModesParse() {
        assertEquals(CryptMode.REQUIRE, CryptMode.DEFAULT);
        assertEquals(CryptMode.PREFER, CryptMode.parse(" Prefer "));
        assertEquals(CryptMode.OFF, CryptMode.parse("off"));
        assertEquals("require", CryptMode.REQUIRE.optionValue());
        assertThrows(IllegalArgumentException.class, () -> CryptMode.parse("maybe"));
    }
}
