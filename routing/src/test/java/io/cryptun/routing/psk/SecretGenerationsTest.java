package io.cryptun.routing.psk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SecretGenerationsTest {
    private static final String OLD = "b2366f45";
    private static final String NEW = "1f8e543a";
    private static final String OTHER = "5c1e2f3a";

    @Test
    void aPairSharingGenerationsUsesTheSmallestIdOnBothEnds() {
        assertEquals(Optional.of(NEW), SecretGenerations.chosen(List.of(OLD, NEW), List.of(NEW, OLD)));
        assertEquals(List.of(NEW, OLD), SecretGenerations.order(List.of(OLD, NEW), List.of(NEW, OLD)));
        assertEquals(List.of(NEW, OLD), SecretGenerations.order(List.of(NEW, OLD), List.of(OLD, NEW)));
        // only the old one shared: it goes first, this node's new one stays as an alternative
        assertEquals(List.of(OLD, NEW), SecretGenerations.order(List.of(OLD, NEW), List.of(OLD)));
        assertEquals(List.of(OLD), SecretGenerations.order(List.of(OLD), List.of(OLD, NEW)));
    }

    @Test
    void aClosedCommunity() {
        assertTrue(SecretGenerations.compatible(List.of(), List.of()), "two nodes without secrets: plain WireGuard");
        assertTrue(SecretGenerations.compatible(List.of(OLD), List.of(OTHER, OLD)));
        assertFalse(SecretGenerations.compatible(List.of(OLD), List.of()));
        assertFalse(SecretGenerations.compatible(List.of(), List.of(OLD)));
        assertFalse(SecretGenerations.compatible(List.of(OLD, NEW), List.of(OTHER)));
        assertNull(SecretGenerations.incompatibility(List.of(OLD), List.of(OLD)));
        assertEquals("it holds no mesh secret (this node: b2366f45)",
                SecretGenerations.incompatibility(List.of(OLD), List.of()));
        assertEquals("it holds a mesh secret (5c1e2f3a) and this node none",
                SecretGenerations.incompatibility(List.of(), List.of(OTHER)));
        assertEquals("it holds none of this node's mesh secrets (it: 5c1e2f3a; this node: b2366f45,1f8e543a)",
                SecretGenerations.incompatibility(List.of(OLD, NEW), List.of(OTHER)));
        // without a shared generation, this node's own order: its current secret, which the peer cannot match
        assertEquals(List.of(OLD, NEW), SecretGenerations.order(List.of(OLD, NEW), List.of(OTHER)));
        assertEquals(List.of(), SecretGenerations.order(List.of(), List.of(OTHER)));
    }

    /** Whatever two nodes hold, in whatever order: both sides pick the same first generation, or refuse alike. */
    @Test
    void bothEndsAgreeForAnyHoldings() {
        Random r = new Random(8);
        List<String> pool = List.of(OLD, NEW, OTHER, "00000001", "ffffffff");
        for (int i = 0; i < 2000; i++) {
            List<String> a = pick(r, pool);
            List<String> b = pick(r, pool);
            assertEquals(SecretGenerations.compatible(a, b), SecretGenerations.compatible(b, a));
            assertEquals(SecretGenerations.chosen(a, b), SecretGenerations.chosen(b, a));
            if (SecretGenerations.chosen(a, b).isPresent()) {
                assertEquals(SecretGenerations.order(a, b).get(0), SecretGenerations.order(b, a).get(0));
            }
            List<String> order = SecretGenerations.order(a, b);
            assertEquals(a.size(), order.size(), "every own generation is a candidate");
            assertTrue(order.containsAll(a));
        }
    }

    private static List<String> pick(Random r, List<String> pool) {
        List<String> out = new ArrayList<>();
        for (String s : pool) {
            if (r.nextInt(3) == 0) {
                out.add(r.nextBoolean() ? out.size() : 0, s);
            }
        }
        return out;
    }
}
