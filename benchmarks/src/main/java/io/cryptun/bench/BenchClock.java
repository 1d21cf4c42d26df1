package io.cryptun.bench;

import io.cryptun.noise.device.Clock;

/**
 * A clock the benchmark moves by hand. Frozen, it keeps sessions young for as long as a benchmark
 * runs (no rekey or expiry in the middle of a measurement); stepped, it lets a handshake be repeated
 * without the protocol's rate limits (REKEY_TIMEOUT, the 20 ms initiation flood guard) refusing it.
 */
public final class BenchClock implements Clock {
    /** Unix time at monotonic zero: any fixed date after 2020 gives valid TAI64N timestamps. */
    private static final long EPOCH_UNIX_NANOS = 1_800_000_000_000_000_000L;

    private long now = 1_000_000_000L;

    @Override
    public long nanoTime() {
        return now;
    }

    @Override
    public long unixNanos() {
        return EPOCH_UNIX_NANOS + now;
    }

    public void advance(long nanos) {
        now += nanos;
    }
}
