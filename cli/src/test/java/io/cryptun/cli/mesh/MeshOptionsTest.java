package io.cryptun.cli.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.routing.NodeId;
import io.cryptun.routing.TunnelSearch;
import io.cryptun.routing.bmx7.Bmx7Configuration;
import io.cryptun.routing.mesh.OfferedNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MeshOptionsTest {
    @Test
    void aSearchReadsLikeBmx7sTunOutWithCryptunsTableByDefault() {
        TunnelSearch s = MeshOptions.tunOut("v6any=2001:db8::/32,maxPrefixLen=64,hysteresis=30");
        assertEquals("v6any", s.name());
        assertEquals(IpPrefix.parse("2001:db8::/32"), s.network());
        assertEquals(64, s.maxPrefixLen());
        assertEquals(30, s.hysteresis());
        assertEquals(MeshOptions.DEFAULT_TABLE_PREF, s.tablePref());
        assertEquals(MeshOptions.DEFAULT_TABLE, s.table());
        assertEquals("tunOut=v6any /network=2001:db8::/32 /maxPrefixLen=64 /hysteresis=30 /tableRule=32765/171",
                s.toBmx7Option());
    }

    /** prefer and off mode hand searches to bmx7 as they are: the defaults must be inside bmx7's ranges. */
    @Test
    void theDefaultSearchIsOneBmx7Accepts() {
        Bmx7Configuration bmx7 = new Bmx7Configuration();
        for (String spec : new String[] {"v4any=10.0.0.0/8", "v6any=2001:db8::/32", "v4dflt=0.0.0.0/0,maxPrefixLen=0"}) {
            Bmx7Configuration.Reply r = bmx7.apply(MeshOptions.tunOut(spec).toBmx7Option());
            assertTrue(r.accepted(), spec + ": " + r.text());
        }
        OfferedNetwork o = MeshOptions.tunIn("gw4=10.99.0.0/16");
        Bmx7Configuration.Reply r = bmx7.apply("tunIn=" + o.name() + " /network=" + o.network() + " /bandwidth=" + o.bandwidth());
        assertTrue(r.accepted(), r.text());
    }

    @Test
    void aSearchMayNameItsTableAndGateway() {
        String gw = "1A5C9522FE2AE9AC41ADD74AB5DC6E014FAECE783A8BB03024C3772C";
        TunnelSearch s = MeshOptions.tunOut("dflt=0.0.0.0/0,maxPrefixLen=0,tableRule=3000/60,gwId=" + gw);
        assertEquals(3000, s.tablePref());
        assertEquals(60, s.table());
        assertEquals(NodeId.parse(gw), s.gwId());
    }

    @Test
    void anOfferHasBmx7sDefaultBandwidthUnlessGiven() {
        assertEquals(new OfferedNetwork("gw4", IpPrefix.parse("10.99.0.0/16"), 1000), MeshOptions.tunIn("gw4=10.99.0.0/16"));
        assertEquals(new OfferedNetwork("gw6", IpPrefix.parse("2001:db8:99::/48"), 16_000_000),
                MeshOptions.tunIn("gw6=2001:db8:99::/48,bandwidth=16000000"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"v4any", "=10.0.0.0/8", "v4 any=10.0.0.0/8", "v4any=10.0.0.0", "v4any=10.0.0.1/8",
        "v4any=10.0.0.0/8,", "v4any=10.0.0.0/8,maxPrefixLen", "v4any=10.0.0.0/8,nosuch=1", "v4any=10.0.0.0/8,tableRule=50/60",
        "v4any=10.0.0.0/8,tableRule=100/70", "v4any=10.0.0.0/8,hysteresis=x", "v4any=10.0.0.0/8,rating=1,rating=2",
        "v4any=example.org/8", "v4any=10.0.0.0/8,tableRule=32765/7171", "v4any=10.0.0.0/8,tableRule=65536/100",
        "v4any=10.0.0.0/8,tableRule=32765/0", "v4any=10.0.0.0/8,rating=67008864", "v4any=10.0.0.0/8,hysteresis=100001",
        "v4any=10.0.0.0/8,minBandwidth=71", "v4any=10.0.0.0/8,ipMetric=2147483648", "v4any=10.0.0.0/8,proto=257",
        "v4any=10.0.0.0/8,minPrefixLen=130", "abcdefghijabcdefghijabcdefghijkl=10.0.0.0/8"})
    void badSearchesAreRefusedWithAReason(String spec) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MeshOptions.tunOut(spec));
        assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
    }

    @ParameterizedTest
    @ValueSource(strings = {"gw4=10.99.0.0/16,bandwidth=0", "gw4=10.99.0.0/16,bandwidth=-5", "gw4=10.99.0.0/16,proto=3",
        "gw4=10.99.0.0/16,bandwidth=71", "gw4=10.99.0.0/16,bandwidth=257698037761",
        "gw4=10.99.0.1/16", "gw4"})
    void badOffersAreRefused(String spec) {
        assertThrows(IllegalArgumentException.class, () -> MeshOptions.tunIn(spec));
    }

    @Test
    void sourcesMustBeOfTheirFamilyWithoutHostBits() {
        assertEquals(IpPrefix.parse("10.254.1.1/32"), MeshOptions.source("10.254.1.1/32", true));
        assertThrows(IllegalArgumentException.class, () -> MeshOptions.source("2001:db8::1/128", true));
        assertThrows(IllegalArgumentException.class, () -> MeshOptions.source("10.254.1.1/32", false));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MeshOptions.source("10.254.1.1/24", true));
        assertTrue(e.getMessage().contains("10.254.1.0/24"), e.getMessage());
    }
}
