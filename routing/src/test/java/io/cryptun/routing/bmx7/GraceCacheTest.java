package io.cryptun.routing.bmx7;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

class GraceCacheTest {

    @Test
    void keepsTheLastGoodValueForTheGracePeriodOnly() {
        GraceCache<String, Integer> c = new GraceCache<>(1000);
        assertEquals(Map.of("a", 1, "b", 2), c.update(0, Map.of("a", 1, "b", 2), Set.of()));
        assertEquals(Map.of("a", 1, "b", 2), c.update(500, Map.of("b", 2), Set.of()), "a unreadable: kept");
        assertEquals(Map.of("a", 1, "b", 3), c.update(1499, Map.of("b", 3), Set.of()));
        assertEquals(Map.of("b", 3), c.update(1500, Map.of("b", 3), Set.of()), "grace over");
        assertEquals(Map.of("a", 4, "b", 3), c.update(1600, Map.of("a", 4, "b", 3), Set.of()));
        assertEquals(Map.of("a", 4), c.update(1700, Map.of("a", 4), Set.of("b")), "known gone: no grace");
    }

    @Test
    void aRecoveryResetsTheClock() {
        GraceCache<String, Integer> c = new GraceCache<>(1000);
        c.update(0, Map.of("a", 1), Set.of());
        c.update(900, Map.of(), Set.of());
        c.update(950, Map.of("a", 1), Set.of());
        assertEquals(Map.of("a", 1), c.update(1900, Map.of(), Set.of()));
        assertEquals(Map.of(), c.update(2900, Map.of(), Set.of()));
    }
}
