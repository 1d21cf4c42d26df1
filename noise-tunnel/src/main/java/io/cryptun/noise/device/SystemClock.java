package io.cryptun.noise.device;

import java.time.Instant;

/**
 * The real clocks: System.nanoTime and the wall clock with nanosecond resolution where the OS has
 * it. A daemon's start-up warm-up uses one that it pushes forward ({@link #adjustable()},
 * {@link #advance(long)}) so that keys expire at once; it is this same class so that the code the
 * JIT compiles during the warm-up, which inlines the clock's calls for the one class it saw, is
 * still valid for the daemon's device (a second class there would throw that code away at the first
 * real packet: a deoptimisation on the first ping's path).
 */
public final class SystemClock implements Clock {
    static final SystemClock INSTANCE = new SystemClock();

    private volatile long offset;

    private SystemClock() {
    }

    /** A system clock of its own that {@link #advance(long)} can push forward. */
    public static SystemClock adjustable() {
        return new SystemClock();
    }

    /** Moves this clock forward by {@code nanos}; refused for the shared real clock. */
    public void advance(long nanos) {
        if (this == INSTANCE || nanos < 0) {
            throw new IllegalStateException("only an adjustable clock moves, and only forward");
        }
        offset += nanos;
    }

    @Override
    public long nanoTime() {
        return System.nanoTime() + offset;
    }

    @Override
    public long unixNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano() + offset;
    }
}
