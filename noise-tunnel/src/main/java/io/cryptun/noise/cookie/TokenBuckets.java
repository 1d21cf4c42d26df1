package io.cryptun.noise.cookie;

/**
 * The table behind {@link RateLimiter} and {@link CookieReplyLimiter}: one token bucket per source,
 * a source being a key of two longs and an int (whatever each limiter derives from an address),
 * in a bounded, seeded hash table.
 *
 * <p>Tokens are nanoseconds of allowance; each allowed message costs {@code costNanos}, a bucket
 * holds at most {@code maxTokensNanos}, and a new source starts full and pays for its first message.
 * Only differences between clock readings matter; a reading earlier than a source's last grants
 * nothing. At most {@code maxEntries} sources are tracked; a new source when the table is full is
 * allowed or refused as the owner says ({@code admitWhenFull}). Sources idle for more than
 * {@link #IDLE_TIMEOUT_NANOS} are dropped by a sweep inside {@link #allow}, at most once per
 * {@link #SWEEP_INTERVAL_NANOS} of the caller's clock: no background thread, and a full table
 * frees up within about two seconds of its sources going quiet.
 *
 * <p>Thread-safe: calls are serialised by one lock (a few array reads each). The hash is seeded, so
 * sources cannot be picked to pile into one probe run.
 */
final class TokenBuckets {
    /** A source not seen for longer than this is forgotten. */
    static final long IDLE_TIMEOUT_NANOS = 1_000_000_000L;
    /** How often (by the caller's clock) idle sources are swept out. */
    static final long SWEEP_INTERVAL_NANOS = 1_000_000_000L;
    private static final int MIN_CAPACITY = 64;

    private final Object lock = new Object();
    private final long seed;
    private final int maxEntries;
    private final long costNanos;
    private final long maxTokensNanos;
    private final boolean admitWhenFull;
    // Open addressing with linear probing over parallel arrays; entries leave only through rebuilds,
    // so there are no tombstones.
    private boolean[] used;
    private long[] high;
    private long[] low;
    private int[] extra;
    private long[] lastNanos;
    private long[] tokens;
    private volatile int size;
    private boolean clockSeen;
    private long lastSweepNanos;

    TokenBuckets(int maxEntries, long hashSeed, long costNanos, long maxTokensNanos, boolean admitWhenFull) {
        if (maxEntries < 1 || maxEntries > (1 << 24)) {
            throw new IllegalArgumentException("maxEntries must be in [1, 2^24], was " + maxEntries);
        }
        this.maxEntries = maxEntries;
        this.seed = hashSeed;
        this.costNanos = costNanos;
        this.maxTokensNanos = maxTokensNanos;
        this.admitWhenFull = admitWhenFull;
        allocate(MIN_CAPACITY);
    }

    /** Whether the source (hi, lo, x) may send one more message now; if so, charges its bucket. */
    boolean allow(long hi, long lo, int x, long now) {
        synchronized (lock) {
            maybeSweep(now);
            int mask = high.length - 1;
            int i = home(hi, lo, x, mask);
            while (used[i]) {
                if (high[i] == hi && low[i] == lo && extra[i] == x) {
                    return charge(i, now);
                }
                i = (i + 1) & mask;
            }
            if (size >= maxEntries) {
                return admitWhenFull;
            }
            if ((size + 1) * 2 > high.length) {
                rebuild(capacityFor(size + 1), now, false);
                mask = high.length - 1;
                i = home(hi, lo, x, mask);
                while (used[i]) {
                    i = (i + 1) & mask;
                }
            }
            used[i] = true;
            high[i] = hi;
            low[i] = lo;
            extra[i] = x;
            lastNanos[i] = now;
            tokens[i] = maxTokensNanos - costNanos;
            size = size + 1;
            return true;
        }
    }

    /** Sources tracked, idle ones included until the next sweep. */
    int size() {
        return size;
    }

    int maxEntries() {
        return maxEntries;
    }

    private boolean charge(int i, long now) {
        long elapsed = now - lastNanos[i];
        if (elapsed > 0) {
            long t = tokens[i];
            tokens[i] = elapsed >= maxTokensNanos - t ? maxTokensNanos : t + elapsed;
            lastNanos[i] = now;
        }
        if (tokens[i] >= costNanos) {
            tokens[i] -= costNanos;
            return true;
        }
        return false;
    }

    private void maybeSweep(long now) {
        if (!clockSeen) {
            clockSeen = true;
            lastSweepNanos = now;
            return;
        }
        long since = now - lastSweepNanos;
        if (since < 0) {
            lastSweepNanos = now; // the clock went back: restart the interval rather than stall
            return;
        }
        if (since < SWEEP_INTERVAL_NANOS) {
            return;
        }
        lastSweepNanos = now;
        if (size == 0) {
            return;
        }
        int live = 0;
        for (int i = 0; i < high.length; i++) {
            if (used[i] && now - lastNanos[i] <= IDLE_TIMEOUT_NANOS) {
                live++;
            }
        }
        if (live != size) {
            rebuild(capacityFor(live), now, true);
        }
    }

    private static int capacityFor(int entries) {
        int c = MIN_CAPACITY;
        while (c / 2 < entries) {
            c <<= 1;
        }
        return c;
    }

    /** Copies the entries (without the idle ones when {@code dropIdle}) into tables of {@code capacity}. */
    private void rebuild(int capacity, long now, boolean dropIdle) {
        boolean[] oldUsed = used;
        long[] oldHigh = high;
        long[] oldLow = low;
        int[] oldExtra = extra;
        long[] oldLast = lastNanos;
        long[] oldTokens = tokens;
        allocate(capacity);
        int mask = capacity - 1;
        int n = 0;
        for (int j = 0; j < oldHigh.length; j++) {
            if (!oldUsed[j] || (dropIdle && now - oldLast[j] > IDLE_TIMEOUT_NANOS)) {
                continue;
            }
            int i = home(oldHigh[j], oldLow[j], oldExtra[j], mask);
            while (used[i]) {
                i = (i + 1) & mask;
            }
            used[i] = true;
            high[i] = oldHigh[j];
            low[i] = oldLow[j];
            extra[i] = oldExtra[j];
            lastNanos[i] = oldLast[j];
            tokens[i] = oldTokens[j];
            n++;
        }
        size = n;
    }

    private void allocate(int capacity) {
        used = new boolean[capacity];
        high = new long[capacity];
        low = new long[capacity];
        extra = new int[capacity];
        lastNanos = new long[capacity];
        tokens = new long[capacity];
    }

    private int home(long hi, long lo, int x, int mask) {
        long z = mix(hi ^ seed) ^ lo ^ ((long) x << 48);
        return (int) mix(z) & mask;
    }

    /** MurmurHash3's 64-bit finalizer. */
    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }
}
