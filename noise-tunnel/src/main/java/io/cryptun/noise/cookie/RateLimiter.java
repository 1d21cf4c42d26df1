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
 * <p>Thread-safe, with a seeded hash: the table is {@link TokenBuckets}, shared with
 * {@link CookieReplyLimiter}.
 */
public final class RateLimiter {
    public static final int PACKETS_PER_SECOND = 20;
    public static final int PACKETS_BURSTABLE = 5;
    /** Tokens are nanoseconds of allowance; a packet costs this many. */
    public static final long PACKET_COST_NANOS = 1_000_000_000L / PACKETS_PER_SECOND;
    /** The bucket's size: the burst. */
    public static final long TOKEN_MAX_NANOS = PACKET_COST_NANOS * PACKETS_BURSTABLE;
    /** A source not seen for longer than this is forgotten. */
    public static final long IDLE_TIMEOUT_NANOS = TokenBuckets.IDLE_TIMEOUT_NANOS;
    /** How often (by the caller's clock) idle sources are swept out. */
    public static final long SWEEP_INTERVAL_NANOS = TokenBuckets.SWEEP_INTERVAL_NANOS;
    /** Default bound on tracked sources. */
    public static final int DEFAULT_MAX_ENTRIES = 1 << 16;

    private static final VarHandle INT_BE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final byte IPV4 = 1;
    private static final byte IPV6 = 2;

    private final TokenBuckets buckets;

    /** Tracks up to {@link #DEFAULT_MAX_ENTRIES} sources, with a hash seed from {@link SecureRandom}. */
    public RateLimiter() {
        this(DEFAULT_MAX_ENTRIES, new SecureRandom().nextLong());
    }

    /**
     * @param maxEntries most sources tracked at once
     * @param hashSeed   secret seed for the table's hash (tests may fix it)
     */
    public RateLimiter(int maxEntries, long hashSeed) {
        buckets = new TokenBuckets(maxEntries, hashSeed, PACKET_COST_NANOS, TOKEN_MAX_NANOS, false);
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
        // a full table refuses a new source, like the kernel: evicting someone would let a flood
        // of fresh sources reset the buckets of the sources it pushes out
        return buckets.allow(fam, k, 0, nowNanos);
    }

    /** Sources currently tracked, including idle ones the next sweep will drop. */
    public int size() {
        return buckets.size();
    }

    public int maxEntries() {
        return buckets.maxEntries();
    }
}
