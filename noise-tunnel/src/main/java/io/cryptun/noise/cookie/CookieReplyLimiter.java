package io.cryptun.noise.cookie;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;

/**
 * Per-source budget of cookie replies under load, a source being one IP address <em>and</em> UDP
 * port: {@link #REPLIES_PER_SECOND} a second with a burst of {@link #REPLIES_BURSTABLE}.
 *
 * <p>Why: without it every flood datagram with a valid mac1 costs a cookie (two BLAKE2s), an
 * XChaCha20-Poly1305 seal and a send, which made the receiving thread slower than one flooding
 * host (issue 11); the socket then overflowed and the legitimate peer's initiation was lost with
 * the flood. A source over its budget costs only the mac1 and mac2 checks. The port is part of the
 * key because the flood may come from the legitimate peer's own address: its WireGuard socket
 * (another port) keeps its own budget and gets its cookie at once. A legitimate source needs one
 * reply per handshake message it sends, a few a second at most, so the budget never holds it back.
 *
 * <p>Bounded: at most {@code maxEntries} sources are tracked, idle ones (one second) swept out
 * within {@link #allow}. When the table is full a new source is <em>not</em> limited (fails open):
 * then replies are what they were without this class, which only costs CPU, whereas refusing would
 * let many ports of one host starve every later source of its cookie. Thread-safe (one lock).
 */
public final class CookieReplyLimiter {
    public static final int REPLIES_PER_SECOND = 20;
    public static final int REPLIES_BURSTABLE = 5;
    static final long REPLY_COST_NANOS = 1_000_000_000L / REPLIES_PER_SECOND;
    static final long TOKEN_MAX_NANOS = REPLY_COST_NANOS * REPLIES_BURSTABLE;
    static final long IDLE_TIMEOUT_NANOS = 1_000_000_000L;
    static final long SWEEP_INTERVAL_NANOS = 1_000_000_000L;
    public static final int DEFAULT_MAX_ENTRIES = 1 << 16;
    private static final int MIN_CAPACITY = 64;

    private final Object lock = new Object();
    private final long seed;
    private final int maxEntries;
    // open addressing, linear probing, parallel arrays; entries leave only through rebuilds
    private boolean[] used;
    private long[] high;
    private long[] low;
    private int[] port;
    private long[] lastNanos;
    private long[] tokens;
    private int size;
    private boolean clockSeen;
    private long lastSweepNanos;

    public CookieReplyLimiter() {
        this(DEFAULT_MAX_ENTRIES, new SecureRandom().nextLong());
    }

    /** @param hashSeed secret seed of the table's hash, so sources cannot be picked to collide */
    public CookieReplyLimiter(int maxEntries, long hashSeed) {
        if (maxEntries < 1 || maxEntries > (1 << 24)) {
            throw new IllegalArgumentException("maxEntries must be in [1, 2^24], was " + maxEntries);
        }
        this.maxEntries = maxEntries;
        this.seed = hashSeed;
        allocate(MIN_CAPACITY);
    }

    /** Whether a cookie reply may go to {@code source} now; if so, charges its budget. */
    public boolean allow(InetSocketAddress source, long nowNanos) {
        InetAddress a = source.getAddress();
        byte[] ip = a == null ? new byte[4] : a.getAddress();
        long hi = 0;
        long lo = 0;
        if (ip.length == 16) {
            for (int i = 0; i < 8; i++) {
                hi = hi << 8 | (ip[i] & 0xff);
                lo = lo << 8 | (ip[8 + i] & 0xff);
            }
        } else {
            // an IPv4 address is keyed as its IPv4-mapped IPv6 form: one key for both spellings
            hi = 0;
            lo = 0xffffL << 32 | (ip[0] & 0xffL) << 24 | (ip[1] & 0xffL) << 16 | (ip[2] & 0xffL) << 8 | (ip[3] & 0xffL);
        }
        return allow(hi, lo, source.getPort(), nowNanos);
    }

    private boolean allow(long hi, long lo, int p, long now) {
        synchronized (lock) {
            maybeSweep(now);
            int mask = high.length - 1;
            int i = home(hi, lo, p, mask);
            while (used[i]) {
                if (high[i] == hi && low[i] == lo && port[i] == p) {
                    return charge(i, now);
                }
                i = (i + 1) & mask;
            }
            if (size >= maxEntries) {
                return true; // fail open, see the class comment
            }
            if ((size + 1) * 2 > high.length) {
                rebuild(capacityFor(size + 1), now, false);
                mask = high.length - 1;
                i = home(hi, lo, p, mask);
                while (used[i]) {
                    i = (i + 1) & mask;
                }
            }
            used[i] = true;
            high[i] = hi;
            low[i] = lo;
            port[i] = p;
            lastNanos[i] = now;
            tokens[i] = TOKEN_MAX_NANOS - REPLY_COST_NANOS;
            size++;
            return true;
        }
    }

    /** Sources tracked, idle ones included until the next sweep. */
    public int size() {
        synchronized (lock) {
            return size;
        }
    }

    private boolean charge(int i, long now) {
        long elapsed = now - lastNanos[i];
        if (elapsed > 0) {
            long t = tokens[i];
            tokens[i] = elapsed >= TOKEN_MAX_NANOS - t ? TOKEN_MAX_NANOS : t + elapsed;
            lastNanos[i] = now;
        }
        if (tokens[i] >= REPLY_COST_NANOS) {
            tokens[i] -= REPLY_COST_NANOS;
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
            lastSweepNanos = now;
            return;
        }
        if (since < SWEEP_INTERVAL_NANOS || size == 0) {
            return;
        }
        lastSweepNanos = now;
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

    private void rebuild(int capacity, long now, boolean dropIdle) {
        boolean[] oldUsed = used;
        long[] oldHigh = high;
        long[] oldLow = low;
        int[] oldPort = port;
        long[] oldLast = lastNanos;
        long[] oldTokens = tokens;
        allocate(capacity);
        int mask = capacity - 1;
        int n = 0;
        for (int j = 0; j < oldHigh.length; j++) {
            if (!oldUsed[j] || (dropIdle && now - oldLast[j] > IDLE_TIMEOUT_NANOS)) {
                continue;
            }
            int i = home(oldHigh[j], oldLow[j], oldPort[j], mask);
            while (used[i]) {
                i = (i + 1) & mask;
            }
            used[i] = true;
            high[i] = oldHigh[j];
            low[i] = oldLow[j];
            port[i] = oldPort[j];
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
        port = new int[capacity];
        lastNanos = new long[capacity];
        tokens = new long[capacity];
    }

    private int home(long hi, long lo, int p, int mask) {
        long z = mix(hi ^ seed) ^ lo ^ ((long) p << 48);
        return (int) mix(z) & mask;
    }

    /** MurmurHash3's 64-bit finalizer. */
    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }
}
