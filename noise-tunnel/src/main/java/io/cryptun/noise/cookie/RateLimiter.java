package io.cryptun.noise.cookie;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.util.Objects;

/**
 * Per-source token bucket for handshake messages processed while the device is under load: 20 packets
 * per second with a burst of 5, the numbers of the Linux kernel's {@code ratelimiter.c} and
 * wireguard-go's {@code ratelimiter.go}. IPv4 sources are keyed by address, IPv6 sources by their /64,
 * so that one host cannot escape the limit by cycling through its interface identifiers.
 *
 * <p>Sans-IO: the caller passes a monotonic clock reading ({@code nowNanos}, e.g. from
 * {@link System#nanoTime()}); only differences between readings matter. A reading earlier than a
 * source's last one grants no tokens.
 *
 * <p>Memory is bounded: at most {@code maxEntries} sources are tracked. When the table is full, a packet
 * from a source not in it is refused (like the kernel; the alternative of evicting someone would let a
 * flood of fresh sources reset the buckets of the sources it pushes out). Sources idle for more than
 * {@link #IDLE_TIMEOUT_NANOS} are dropped by a sweep that runs inside {@link #allow} at most once per
 * {@link #SWEEP_INTERVAL_NANOS} of the caller's clock, so its cost is amortised over the calls of a
 * second and no background thread is needed; a full table therefore frees up within about two seconds
 * of its sources going quiet.
 *
 * <p>Thread-safe: calls are serialized by an internal lock (the work per call is a few array reads).
 * The hash table is keyed by a random seed so that sources cannot be picked to collide.
 */
public final class RateLimiter {
    public static final int PACKETS_PER_SECOND = 20;
    public static final int PACKETS_BURSTABLE = 5;
    /** Tokens are nanoseconds of allowance; a packet costs this many. */
    public static final long PACKET_COST_NANOS = 1_000_000_000L / PACKETS_PER_SECOND;
    /** The bucket's size: the burst. */
    public static final long TOKEN_MAX_NANOS = PACKET_COST_NANOS * PACKETS_BURSTABLE;
    /** A source not seen for longer than this is forgotten. */
    public static final long IDLE_TIMEOUT_NANOS = 1_000_000_000L;
    /** How often (by the caller's clock) idle sources are swept out. */
    public static final long SWEEP_INTERVAL_NANOS = 1_000_000_000L;
    /** Default bound on tracked sources. */
    public static final int DEFAULT_MAX_ENTRIES = 1 << 16;

    private static final VarHandle INT_BE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final byte EMPTY = 0;
    private static final byte IPV4 = 1;
    private static final byte IPV6 = 2;
    private static final int MIN_CAPACITY = 64;

    private final Object lock = new Object();
    private final long seed;
    private final int maxEntries;
    // Open addressing with linear probing over parallel arrays; entries leave only through rebuilds,
    // so there are no tombstones.
    private byte[] family;
    private long[] key;
    private long[] lastNanos;
    private long[] tokens;
    private volatile int size;
    private boolean clockSeen;
    private long lastSweepNanos;

    /** Tracks up to {@link #DEFAULT_MAX_ENTRIES} sources, with a hash seed from {@link SecureRandom}. */
    public RateLimiter() {
        this(DEFAULT_MAX_ENTRIES, new SecureRandom().nextLong());
    }

    /**
     * @param maxEntries most sources tracked at once
     * @param hashSeed   secret seed for the table's hash (tests may fix it)
     */
    public RateLimiter(int maxEntries, long hashSeed) {
        if (maxEntries < 1 || maxEntries > (1 << 24)) {
            throw new IllegalArgumentException("maxEntries must be in [1, 2^24], was " + maxEntries);
        }
        this.maxEntries = maxEntries;
        this.seed = hashSeed;
        allocate(MIN_CAPACITY);
    }

    /**
     * Whether a handshake message from {@code sourceIp} (4 or 16 bytes) may be processed now; if so,
     * charges the source's bucket.
     */
    public boolean allow(byte[] sourceIp, long nowNanos) {
        Objects.requireNonNull(sourceIp, "sourceIp");
        return allow(sourceIp, 0, sourceIp.length, nowNanos);
    }

    /**
     * As {@link #allow(byte[], long)}, for the source address at {@code buf[off..off+len)}, len 4 or 16.
     *
     * @throws IllegalArgumentException  if {@code len} is neither 4 nor 16
     * @throws IndexOutOfBoundsException if the range is outside {@code buf}
     */
    public boolean allow(byte[] buf, int off, int len, long nowNanos) {
        byte fam;
        long k;
        if (len == 4) {
            Objects.checkFromIndexSize(off, 4, buf.length);
            fam = IPV4;
            k = ((int) INT_BE.get(buf, off)) & 0xffffffffL;
        } else if (len == 16) {
            Objects.checkFromIndexSize(off, 16, buf.length);
            fam = IPV6;
            k = (long) LONG_BE.get(buf, off); // the /64 only
        } else {
            throw new IllegalArgumentException("address length must be 4 or 16, was " + len);
        }
        synchronized (lock) {
            maybeSweep(nowNanos);
            int mask = key.length - 1;
            int i = home(fam, k, mask);
            while (family[i] != EMPTY) {
                if (family[i] == fam && key[i] == k) {
                    return charge(i, nowNanos);
                }
                i = (i + 1) & mask;
            }
            if (size >= maxEntries) {
                return false;
            }
            if ((size + 1) * 2 > key.length) {
                rebuild(capacityFor(size + 1), Long.MIN_VALUE, false);
                mask = key.length - 1;
                i = home(fam, k, mask);
                while (family[i] != EMPTY) {
                    i = (i + 1) & mask;
                }
            }
            // A new source starts with a full bucket and pays for this packet.
            family[i] = fam;
            key[i] = k;
            lastNanos[i] = nowNanos;
            tokens[i] = TOKEN_MAX_NANOS - PACKET_COST_NANOS;
            size = size + 1;
            return true;
        }
    }

    /** Sources currently tracked, including idle ones the next sweep will drop. */
    public int size() {
        return size;
    }

    public int maxEntries() {
        return maxEntries;
    }

    private boolean charge(int i, long now) {
        long elapsed = now - lastNanos[i];
        if (elapsed > 0) {
            long t = tokens[i];
            tokens[i] = elapsed >= TOKEN_MAX_NANOS - t ? TOKEN_MAX_NANOS : t + elapsed;
            lastNanos[i] = now;
        }
        if (tokens[i] >= PACKET_COST_NANOS) {
            tokens[i] -= PACKET_COST_NANOS;
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
        for (int i = 0; i < key.length; i++) {
            if (family[i] != EMPTY && !idle(i, now)) {
                live++;
            }
        }
        if (live != size) {
            rebuild(capacityFor(live), now, true);
        }
    }

    private boolean idle(int i, long now) {
        return now - lastNanos[i] > IDLE_TIMEOUT_NANOS;
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
        byte[] oldFamily = family;
        long[] oldKey = key;
        long[] oldLast = lastNanos;
        long[] oldTokens = tokens;
        allocate(capacity);
        int mask = capacity - 1;
        int n = 0;
        for (int j = 0; j < oldKey.length; j++) {
            if (oldFamily[j] == EMPTY) {
                continue;
            }
            if (dropIdle && now - oldLast[j] > IDLE_TIMEOUT_NANOS) {
                continue;
            }
            int i = home(oldFamily[j], oldKey[j], mask);
            while (family[i] != EMPTY) {
                i = (i + 1) & mask;
            }
            family[i] = oldFamily[j];
            key[i] = oldKey[j];
            lastNanos[i] = oldLast[j];
            tokens[i] = oldTokens[j];
            n++;
        }
        size = n;
    }

    private void allocate(int capacity) {
        family = new byte[capacity];
        key = new long[capacity];
        lastNanos = new long[capacity];
        tokens = new long[capacity];
    }

    private int home(byte fam, long k, int mask) {
        // Seeded 64-bit finalizer (MurmurHash3's fmix64): without the seed, sources cannot be chosen
        // to pile into one probe run.
        long z = k ^ seed ^ (fam * 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        z ^= z >>> 33;
        return (int) z & mask;
    }
}
