package io.cryptun.noise.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.testkit.Allocations;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Cases of the kernel's {@code selftest/counter.c} (also ported by wireguard-go's
 * {@code replay_test.go}), plus a randomized comparison against an obviously correct model.
 */
class ReplayWindowTest {
    private static final long W = ReplayWindow.WINDOW_SIZE;
    /** The self-test's T_LIM: the first counter that pushes 0 out of the window. */
    private static final long LIM = W + 1;

    private static final class Checker {
        final ReplayWindow window;
        int step;

        Checker(ReplayWindow window) {
            this.window = window;
        }

        void t(long counter, boolean expected) {
            step++;
            assertEquals(expected, window.validate(counter),
                    "step " + step + ": counter " + Long.toUnsignedString(counter));
        }
    }

    @Test
    void geometryMatchesKernelAndWireguardGo() {
        assertEquals(8192, ReplayWindow.RING_BITS);
        assertEquals(8128, ReplayWindow.WINDOW_SIZE);
        assertEquals("18446744073709543486", Long.toUnsignedString(ReplayWindow.REJECT_AFTER_MESSAGES_KERNEL));
        assertEquals("18446744073709543423", Long.toUnsignedString(ReplayWindow.REJECT_AFTER_MESSAGES_WHITEPAPER));
        assertEquals(ReplayWindow.REJECT_AFTER_MESSAGES_KERNEL, new ReplayWindow().rejectAfterMessages());
    }

    /** The 34 numbered steps of the kernel self-test, run with both reject limits. */
    @ParameterizedTest
    @ValueSource(longs = {ReplayWindow.REJECT_AFTER_MESSAGES_KERNEL, ReplayWindow.REJECT_AFTER_MESSAGES_WHITEPAPER})
    void kernelSelfTestSequence(long reject) {
        Checker c = new Checker(new ReplayWindow(reject));
        c.t(0, true);
        c.t(1, true);
        c.t(1, false);
        c.t(9, true);
        c.t(8, true);
        c.t(7, true);
        c.t(7, false);
        c.t(LIM, true);
        c.t(LIM - 1, true);
        c.t(LIM - 1, false);
        c.t(LIM - 2, true);
        c.t(2, true);
        c.t(2, false);
        c.t(LIM + 16, true);
        c.t(3, false);
        c.t(LIM + 16, false);
        c.t(LIM * 4, true);
        c.t(LIM * 4 - (LIM - 1), true);
        c.t(10, false);
        c.t(LIM * 4 - LIM, false);
        c.t(LIM * 4 - (LIM + 1), false);
        c.t(LIM * 4 - (LIM - 2), true);
        c.t(LIM * 4 + 1 - LIM, false);
        c.t(0, false);
        c.t(reject, false);
        c.t(reject - 1, true);
        c.t(reject, false);
        c.t(reject - 1, false);
        c.t(reject - 2, true);
        c.t(reject + 1, false);
        c.t(reject + 2, false);
        c.t(reject - 2, false);
        c.t(reject - 3, true);
        c.t(0, false);
        assertEquals(34, c.step);
    }

    @Test
    void bulkAscendingThenZeroStillInsideWindow() {
        Checker c = new Checker(new ReplayWindow());
        for (long i = 1; i <= W; i++) {
            c.t(i, true);
        }
        c.t(0, true);
        c.t(0, false);
    }

    @Test
    void bulkAscendingFromTwoThenOneInsideAndZeroOutside() {
        Checker c = new Checker(new ReplayWindow());
        for (long i = 2; i <= W + 1; i++) {
            c.t(i, true);
        }
        c.t(1, true);
        c.t(0, false);
    }

    @Test
    void bulkDescendingFromWindowEdge() {
        Checker c = new Checker(new ReplayWindow());
        for (long i = W + 1; i-- > 0; ) {
            c.t(i, true);
        }
    }

    @Test
    void bulkDescendingOneFurtherLeavesZeroOutside() {
        Checker c = new Checker(new ReplayWindow());
        for (long i = W + 2; i-- > 1; ) {
            c.t(i, true);
        }
        c.t(0, false);
    }

    @Test
    void bulkDescendingThenAdvancePushesZeroOut() {
        Checker c = new Checker(new ReplayWindow());
        for (long i = W + 1; i-- > 1; ) {
            c.t(i, true);
        }
        c.t(W + 1, true);
        c.t(0, false);
    }

    @Test
    void bulkDescendingThenZeroThenAdvance() {
        Checker c = new Checker(new ReplayWindow());
        for (long i = W + 1; i-- > 1; ) {
            c.t(i, true);
        }
        c.t(0, true);
        c.t(W + 1, true);
    }

    @Test
    void exactWindowEdgeAfterALargeJump() {
        ReplayWindow w = new ReplayWindow();
        long top = 1_000_003;
        assertTrue(w.validate(top));
        assertFalse(w.validate(top - W - 1), "one past the window");
        assertTrue(w.validate(top - W), "oldest counter inside the window");
        assertTrue(w.validate(top - 1));
        assertFalse(w.validate(top - W));
    }

    @Test
    void countersAreUnsigned() {
        ReplayWindow w = new ReplayWindow();
        assertTrue(w.validate(Long.MAX_VALUE));
        assertTrue(w.validate(Long.MIN_VALUE), "2^63 is larger than 2^63 - 1, not negative");
        assertFalse(w.validate(Long.MAX_VALUE - W), "now too old");
        assertTrue(w.validate(Long.MIN_VALUE - 5));
        assertFalse(w.validate(0));
        assertFalse(w.validate(-1L), "2^64 - 1 is above the reject limit");
    }

    @Test
    void limitIsConfigurable() {
        ReplayWindow w = new ReplayWindow(100);
        assertTrue(w.validate(99));
        assertFalse(w.validate(100));
        assertFalse(w.validate(-1L));
        assertTrue(w.validate(98));
        ReplayWindow all = new ReplayWindow(-1L);
        assertTrue(all.validate(-2L), "2^64 - 2 is below the limit 2^64 - 1");
        assertFalse(all.validate(-2L));
    }

    @Test
    void resetForgetsEverything() {
        ReplayWindow w = new ReplayWindow();
        for (long i = 0; i < 20_000; i += 3) {
            assertTrue(w.validate(i));
        }
        w.reset();
        for (long i = 0; i < 20_000; i += 3) {
            assertTrue(w.validate(i), "counter " + i + " after reset");
        }
        w.reset();
        assertTrue(w.validate(0));
    }

    /** A model that holds every accepted counter: accept iff fresh and within WINDOW_SIZE of the top. */
    private static final class Model {
        final Set<Long> seen = new HashSet<>();
        final long reject;
        long top = -1; // highest accepted, -1 before any (counters in these tests stay < 2^62)

        Model(long reject) {
            this.reject = reject;
        }

        boolean validate(long c) {
            if (Long.compareUnsigned(c, reject) >= 0 || (top >= 0 && c < top - W) || seen.contains(c)) {
                return false;
            }
            seen.add(c);
            top = Math.max(top, c);
            return true;
        }
    }

    @Test
    void randomizedAgainstModelNearTheWindowEdge() {
        SplittableRandom rnd = new SplittableRandom(6479);
        for (int round = 0; round < 20; round++) {
            ReplayWindow w = new ReplayWindow();
            Model m = new Model(ReplayWindow.REJECT_AFTER_MESSAGES_KERNEL);
            long base = round % 2 == 0 ? 0 : (1L << 40) + rnd.nextInt(1 << 20);
            long top = base;
            for (int i = 0; i < 60_000; i++) {
                long c;
                switch (rnd.nextInt(6)) {
                    case 0 -> c = top + rnd.nextInt(1, 200);            // moving forward a little
                    case 1 -> c = top + rnd.nextInt(1, 3 * ReplayWindow.RING_BITS); // big jumps, ring wrap
                    case 2 -> c = top - W + rnd.nextInt(-70, 70);         // around the edge
                    case 3 -> c = top - rnd.nextInt(0, (int) W + 1);      // anywhere inside
                    case 4 -> c = top - rnd.nextInt(0, 64);               // duplicates near the top
                    default -> c = top - W - 1 - rnd.nextInt(0, 1 << 16); // too old
                }
                if (c < 0) {
                    c = rnd.nextInt(10);
                }
                boolean expected = m.validate(c);
                assertEquals(expected, w.validate(c), "round " + round + " op " + i + " counter " + c);
                top = Math.max(top, c);
            }
        }
    }

    @Test
    void validateDoesNotAllocate() {
        ReplayWindow w = new ReplayWindow();
        long[] next = new long[1];
        int[] accepted = new int[1];
        Runnable loop = () -> {
            for (int i = 0; i < 400_000; i++) {
                long c = next[0]++;
                if (w.validate(c)) {
                    accepted[0]++;
                }
                if (w.validate(c - 3)) { // duplicates
                    accepted[0]++;
                }
            }
        };
        for (int warm = 0; warm < 5; warm++) {
            loop.run();
        }
        long bytes = Allocations.allocatedBytes(loop);
        org.junit.jupiter.api.Assumptions.assumeTrue(bytes >= 0, "allocation counter not available");
        assertTrue(bytes < 64 * 1024, bytes + " bytes allocated by 800,000 validations");
        assertEquals(6 * 400_000, accepted[0], "each counter exactly once (c - 3 wraps to huge values at first)");
    }
}
