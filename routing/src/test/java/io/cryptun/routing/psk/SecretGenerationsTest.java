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
    void aPairUsesTheSharedGenerationNearestTheTopOfBothListsTiesToTheSmallestId() {
        assertEquals(Optional.of(OLD), SecretGenerations.chosen(List.of(OLD, NEW), List.of(OLD, NEW)));
        assertEquals(Optional.of(NEW), SecretGenerations.chosen(List.of(NEW, OLD), List.of(NEW, OLD)));
        // listed differently: each is first on one side and second on the other, a tie
        assertEquals(Optional.of(NEW), SecretGenerations.chosen(List.of(OLD, NEW), List.of(NEW, OLD)));
        assertEquals(List.of(NEW, OLD), SecretGenerations.order(List.of(OLD, NEW), List.of(NEW, OLD)));
        assertEquals(List.of(NEW, OLD), SecretGenerations.order(List.of(NEW, OLD), List.of(OLD, NEW)));
        // only the old one shared: it goes first, this node's new one stays as an alternative
        assertEquals(List.of(OLD, NEW), SecretGenerations.order(List.of(OLD, NEW), List.of(OLD)));
        assertEquals(List.of(OLD), SecretGenerations.order(List.of(OLD), List.of(OLD, NEW)));
    }

    /**
     * The three rounds of a rotation (add the next secret second, move it first, drop the old
     * one), node after node in any order: a pair never uses a generation one of its ends has
     * dropped or is about to drop in the next round, whichever id is smaller.
     */
    @Test
    void aThreeRoundRotationNeverUsesAGenerationAboutToGo() {
        for (List<String> ids : List.of(List.of(OLD, NEW), List.of(NEW, OLD))) {
            String cur = ids.get(0);
            String next = ids.get(1);
            List<List<String>> rounds = List.of(List.of(cur), List.of(cur, next), List.of(next, cur), List.of(next));
            for (int round = 1; round < rounds.size(); round++) {
                for (List<String> a : List.of(rounds.get(round - 1), rounds.get(round))) {
                    for (List<String> b : List.of(rounds.get(round - 1), rounds.get(round))) {
                        String used = SecretGenerations.chosen(a, b).orElseThrow();
                        if (round == 1) {
                            assertEquals(cur, used, "adding the next one changes nothing yet: " + a + " " + b);
                        }
                        if (round == 3 || a.equals(rounds.get(2)) && b.equals(rounds.get(2))) {
                            assertEquals(next, used, "once both moved it up: " + a + " " + b);
                        }
                    }
                }
            }
        }
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
