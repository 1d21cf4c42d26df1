package io.cryptun.noise.device;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.noise.cookie.CookieChecker;
import io.cryptun.noise.cookie.CookieReplyLimiter;
import io.cryptun.noise.cookie.RateLimiter;
import io.cryptun.noise.wire.CookieReplyMessage;
import io.cryptun.noise.wire.InitiationMessage;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link Device}'s defence against handshake floods, as wireguard-go's cookie.go and the "under
 * load" part of receive.go: whether the device is under load, the token bucket that bounds
 * handshakes done on the receiving thread, and, under load, the mac2 check with cookie replies
 * and the per-source rate limit.
 */
final class LoadGuard {
    /** One handshake on the receiving thread costs this many nanoseconds of tokens: 50 a second. */
    private static final long INLINE_COST_NANOS = 1_000_000_000L / 50;
    /** A burst of 10 inline handshakes. */
    private static final long INLINE_BURST_NANOS = 10 * INLINE_COST_NANOS;

    private final Device device;
    private final Stats stats;
    private final HandshakeQueue handshakeQueue;
    private final CookieChecker cookieChecker;
    private final RateLimiter rateLimiter = new RateLimiter();
    /** Cookie replies per source IP and port, so one flooding socket cannot take the receiving thread (issue 11). */
    private final CookieReplyLimiter cookieReplyLimiter = new CookieReplyLimiter();

    private volatile long underLoadUntil = Long.MIN_VALUE;
    private final AtomicInteger arrivalsUnderLoad = new AtomicInteger();
    private volatile Boolean underLoadOverride;
    /** The inline token bucket, guarded by this object's monitor. */
    private long inlineTokens = INLINE_BURST_NANOS;
    private long inlineLast;

    LoadGuard(Device device) {
        this.device = device;
        this.stats = device.stats;
        this.handshakeQueue = device.handshakeQueue;
        this.cookieChecker = device.cookieChecker;
    }

    /** See {@link Device#overrideUnderLoad}. */
    void override(Boolean underLoad) {
        underLoadOverride = underLoad;
    }

    boolean isUnderLoad(long now) {
        Boolean forced = underLoadOverride;
        if (forced != null) {
            return forced;
        }
        if (handshakeQueue.size() >= Protocol.UNDER_LOAD_QUEUE_DEPTH) {
            underLoadUntil = now + Protocol.UNDER_LOAD_AFTER_TIME;
            return true;
        }
        return now < underLoadUntil;
    }

    /**
     * Messages answered on receipt never reach the queue, so its depth stops showing a flood that
     * goes on; counting them does. Another queue depth's worth of arrivals while under load keeps
     * the state for another second, as a flood that keeps the queue full does in wireguard-go; a
     * trickle below that rate lets it end a second after the last such count.
     */
    void noteArrivalUnderLoad(long now) {
        if (arrivalsUnderLoad.incrementAndGet() >= Protocol.UNDER_LOAD_QUEUE_DEPTH) {
            arrivalsUnderLoad.set(0);
            underLoadUntil = now + Protocol.UNDER_LOAD_AFTER_TIME;
        }
    }

    /**
     * At most 50 handshakes a second (a burst of 10) are done on the receiving thread; beyond that
     * they queue, so a flood builds the queue depth that "under load" is measured by.
     */
    synchronized boolean takeInlineToken(long now) {
        long elapsed = now - inlineLast;
        inlineLast = now;
        inlineTokens = Math.min(INLINE_BURST_NANOS, inlineTokens + Math.max(0, elapsed));
        if (inlineTokens < INLINE_COST_NANOS) {
            return false;
        }
        inlineTokens -= INLINE_COST_NANOS;
        return true;
    }

    /**
     * Under load a handshake message needs a valid mac2, or it is answered with a cookie reply
     * and dropped; with one, its source IP must be within its rate. True when it may proceed.
     */
    boolean admitUnderLoad(Worker w, byte[] msg, int off, int len, InetSocketAddress from, PacketSink out,
                           long now) {
        byte[] source = cookieSource(from);
        if (!cookieChecker.checkMac2(msg, off, len, source, now)) {
            // a source (IP and port) over its reply budget is a flood: dropping it here costs no
            // cookie, seal or send, and the legitimate peer's own port keeps its budget
            if (!cookieReplyLimiter.allow(from, now)) {
                stats.drop(DropReason.COOKIE_REPLY_LIMITED);
                return false;
            }
            sendCookieReply(w, msg, off, len, from, source, out, now);
            stats.drop(DropReason.COOKIE_REQUIRED);
            return false;
        }
        if (!rateLimiter.allow(ipBytes(from), now)) {
            stats.drop(DropReason.RATE_LIMITED);
            return false;
        }
        return true;
    }

    private void sendCookieReply(Worker w, byte[] msg, int off, int len, InetSocketAddress to, byte[] source,
                                 PacketSink out, long now) {
        if (device.identity == null || to == null) {
            return;
        }
        byte[] reply = w.handshake;
        int sender = InitiationMessage.sender(msg, off); // same offset in a response
        cookieChecker.createReply(msg, off, len, sender, source, now, reply, 0);
        if (out.sendDatagram(to, reply, 0, CookieReplyMessage.SIZE)) {
            stats.event(Stats.Event.COOKIE_REPLY_SENT);
        } else {
            stats.drop(DropReason.SEND_FAILED);
        }
    }

    /** The bytes a cookie is bound to: the sender's IP address and UDP port. */
    static byte[] cookieSource(InetSocketAddress from) {
        byte[] ip = ipBytes(from);
        byte[] src = Arrays.copyOf(ip, ip.length + 2);
        src[ip.length] = (byte) (from.getPort() >>> 8);
        src[ip.length + 1] = (byte) from.getPort();
        return src;
    }

    /** The sender's address bytes, with IPv4-mapped IPv6 folded to IPv4. */
    static byte[] ipBytes(InetSocketAddress from) {
        InetAddress a = from.getAddress();
        byte[] b = a == null ? new byte[4] : a.getAddress();
        if (b.length == 16 && !(a instanceof Inet4Address) && IpPrefix.isV4Mapped(b)) {
            return Arrays.copyOfRange(b, 12, 16);
        }
        return b;
    }
}
