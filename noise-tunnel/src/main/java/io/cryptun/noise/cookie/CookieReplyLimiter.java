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
 * within {@link #allow} (the table is {@link TokenBuckets}, shared with {@link RateLimiter}).
 * When the table is full a new source is <em>not</em> limited (fails open):
 * then replies are what they were without this class, which only costs CPU, whereas refusing would
 * let many ports of one host starve every later source of its cookie. Thread-safe (one lock).
 */
public final class CookieReplyLimiter {
    public static final int REPLIES_PER_SECOND = 20;
    public static final int REPLIES_BURSTABLE = 5;
    static final long REPLY_COST_NANOS = 1_000_000_000L / REPLIES_PER_SECOND;
    static final long TOKEN_MAX_NANOS = REPLY_COST_NANOS * REPLIES_BURSTABLE;
    public static final int DEFAULT_MAX_ENTRIES = 1 << 16;

    private final TokenBuckets buckets;

    public CookieReplyLimiter() {
        this(DEFAULT_MAX_ENTRIES, new SecureRandom().nextLong());
    }

    /** @param hashSeed secret seed of the table's hash, so sources cannot be picked to collide */
    public CookieReplyLimiter(int maxEntries, long hashSeed) {
        // a full table lets a new source through (fails open), see the class comment
        buckets = new TokenBuckets(maxEntries, hashSeed, REPLY_COST_NANOS, TOKEN_MAX_NANOS, true);
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
        return buckets.allow(hi, lo, source.getPort(), nowNanos);
    }

    /** Sources tracked, idle ones included until the next sweep. */
    public int size() {
        return buckets.size();
    }
}
