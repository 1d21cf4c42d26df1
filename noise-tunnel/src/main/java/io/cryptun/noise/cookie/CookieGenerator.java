package io.cryptun.noise.cookie;

import io.cryptun.noise.crypto.Blake2s;
import io.cryptun.noise.crypto.XChaChaPoly;
import io.cryptun.noise.handshake.WireGuardNoise;
import io.cryptun.noise.wire.CookieReplyMessage;
import java.util.Arrays;

/**
 * The sending side of mac1/mac2 for one peer: adds mac1 (keyed by the peer's public key) to every
 * handshake message, remembers the last mac1 so a cookie reply can be authenticated against it,
 * and adds mac2 while a received cookie is fresh.
 */
public final class CookieGenerator {
    /** The kernel's initiator-side cookie lifetime: the responder's 120 s minus 5 s of latency. */
    public static final long COOKIE_LIFETIME_NANOS = 115_000_000_000L;

    private final byte[] mac1Key;
    private final byte[] cookieKey;
    private final byte[] lastMac1 = new byte[16];
    private boolean hasLastMac1;
    private final byte[] cookie = new byte[16];
    private long cookieReceivedAt;
    private boolean hasCookie;

    public CookieGenerator(byte[] peerPublicKey) {
        mac1Key = WireGuardNoise.labelKey(WireGuardNoise.LABEL_MAC1, peerPublicKey);
        cookieKey = WireGuardNoise.labelKey(WireGuardNoise.LABEL_COOKIE, peerPublicKey);
    }

    /** Fills the last 32 bytes of msg[off, off+len) with mac1 and mac2 (zero without a fresh cookie). */
    public synchronized void addMacs(byte[] msg, int off, int len, long nowNanos) {
        int mac1Off = off + len - 32;
        int mac2Off = off + len - 16;
        Blake2s.mac(mac1Key, msg, off, len - 32, msg, mac1Off);
        System.arraycopy(msg, mac1Off, lastMac1, 0, 16);
        hasLastMac1 = true;
        if (hasCookie && nowNanos - cookieReceivedAt <= COOKIE_LIFETIME_NANOS) {
            Blake2s.mac(cookie, msg, off, len - 16, msg, mac2Off);
        } else {
            Arrays.fill(msg, mac2Off, mac2Off + 16, (byte) 0);
        }
    }

    /**
     * Decrypts a cookie reply against the last mac1 sent. Returns true when it authenticates; the
     * cookie is then used for mac2 until it ages out.
     */
    public synchronized boolean consumeReply(byte[] reply, int off, long nowNanos) {
        if (!hasLastMac1) {
            return false;
        }
        byte[] nonce = Arrays.copyOfRange(reply, off + CookieReplyMessage.OFF_NONCE,
                off + CookieReplyMessage.OFF_NONCE + XChaChaPoly.NONCE_LENGTH);
        byte[] plain = new byte[16];
        int n = XChaChaPoly.open(cookieKey, nonce, lastMac1, reply, off + CookieReplyMessage.OFF_COOKIE,
                CookieReplyMessage.COOKIE_CIPHERTEXT_LENGTH, plain, 0);
        if (n != 16) {
            return false;
        }
        System.arraycopy(plain, 0, cookie, 0, 16);
        Arrays.fill(plain, (byte) 0);
        cookieReceivedAt = nowNanos;
        hasCookie = true;
        // a reply answers one mac1 only: a second reply for it is ignored
        hasLastMac1 = false;
        return true;
    }

    public synchronized boolean hasFreshCookie(long nowNanos) {
        return hasCookie && nowNanos - cookieReceivedAt <= COOKIE_LIFETIME_NANOS;
    }

    public synchronized void clear() {
        Arrays.fill(cookie, (byte) 0);
        hasCookie = false;
        hasLastMac1 = false;
    }
}
