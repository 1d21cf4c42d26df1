package io.cryptun.routing.mesh;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.routing.Fixtures;
import io.cryptun.routing.NodeId;
import io.cryptun.routing.TunNetwork;
import io.cryptun.routing.TunnelSearch;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HandoffTest {
    private static final NodeId B = NodeId.parse(Fixtures.B);

    private static GatewayChoice choice(String searchName, String searchNet, String adv) {
        TunnelSearch s = TunnelSearch.builder(searchName, IpPrefix.parse(searchNet)).minPrefixLen(0).hysteresis(30).build();
        IpPrefix a = IpPrefix.parse(adv);
        return new GatewayChoice(s, s.routeFor(a), new GatewayOffer(B, "nodeB", TunNetwork.of(a, 1000), 1_000_000L), 1);
    }

    @Test
    void aNarrowedSearchPinsRouteLengthAndGateway() {
        GatewayChoice c = choice("v4any", "10.0.0.0/8", "0.0.0.0/0");
        TunnelSearch n = MeshPlanner.narrowed(c);
        assertEquals(IpPrefix.parse("10.0.0.0/8"), n.network());
        assertEquals(0, n.effectiveMinPrefixLen());
        assertEquals(0, n.effectiveMaxPrefixLen());
        assertEquals(B, n.gwId());
        assertEquals(30, n.hysteresis(), "other settings carry over");
        assertTrue(n.matches(c.offer().network(), B, "nodeB"));
        assertTrue(!n.matches(TunNetwork.of(IpPrefix.parse("10.0.0.0/8"), 1000), B, "nodeB"));
        assertTrue(!n.matches(c.offer().network(), NodeId.parse(Fixtures.C), "nodeB"));
        assertTrue(n.toBmx7Option().startsWith("tunOut=v4any."));
    }

    @Test
    void handoffNamesAreStableDistinctAndValid() {
        GatewayChoice a = choice("v4any", "10.0.0.0/8", "10.99.0.0/16");
        assertEquals(MeshPlanner.handoffName(a), MeshPlanner.handoffName(choice("v4any", "10.0.0.0/8", "10.99.0.0/16")));
        assertNotEquals(MeshPlanner.handoffName(a), MeshPlanner.handoffName(choice("v4any", "10.0.0.0/8", "10.77.0.0/16")));
        String longName = "x".repeat(31);
        String n = MeshPlanner.handoffName(choice(longName, "10.0.0.0/8", "10.99.0.0/16"));
        assertTrue(TunnelSearch.isValidName(n), n);
        assertEquals(31, n.length());
    }
}
