package io.cryptun.noise.device;

/** A clock that moves only when told to. Wall time follows monotonic time from a fixed origin. */
public final class FakeClock implements Clock {
    private long nanos;
    private final long unixOrigin;

    public FakeClock() {
        this(1_000_000_000L, 1_795_420_391_000_000_000L);
    }

    public FakeClock(long startNanos, long unixOrigin) {
        this.nanos = startNanos;
        this.unixOrigin = unixOrigin;
    }

    @Override
    public synchronized long nanoTime() {
        return nanos;
    }

    @Override
    public synchronized long unixNanos() {
        return unixOrigin + nanos;
    }

    public synchronized void advance(long deltaNanos) {
        nanos += deltaNanos;
    }

    public synchronized void advanceTo(long t) {
        if (t > nanos) {
            nanos = t;
        }
    }

    public static long seconds(double s) {
        return (long) (s * 1_000_000_000L);
    }

    public static long millis(long ms) {
        return ms * 1_000_000L;
    }
}
