package io.cryptun.noise.device;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SystemClockTest {
    @Test
    void anAdjustableClockMovesForwardAndTheRealOneNever() {
        SystemClock clock = SystemClock.adjustable();
        long hour = 3_600_000_000_000L;
        long before = System.nanoTime();
        long unixBefore = System.currentTimeMillis() * 1_000_000L;
        clock.advance(hour);
        assertTrue(clock.nanoTime() - before >= hour);
        assertTrue(clock.nanoTime() - System.nanoTime() >= hour - 1_000_000_000L);
        assertTrue(clock.unixNanos() - unixBefore >= hour);
        assertThrows(IllegalStateException.class, () -> clock.advance(-1));
        // the daemon's clock cannot be pushed by anyone
        assertThrows(IllegalStateException.class, () -> SystemClock.INSTANCE.advance(1));
        long real = Clock.system().nanoTime();
        assertTrue(Math.abs(real - System.nanoTime()) < 1_000_000_000L);
    }
}
