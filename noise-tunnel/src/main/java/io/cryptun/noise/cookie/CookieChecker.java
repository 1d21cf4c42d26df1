package io.cryptun.noise.cookie;

import io.cryptun.noise.crypto.Blake2s;
import io.cryptun.noise.crypto.XChaChaPoly;
import io.cryptun.noise.handshake.WireGuardNoise;
import io.cryptun.noise.wire.Bytes;
import io.cryptun.noise.wire.CookieReplyMessage;
import io.cryptun.noise.wire.MessageType;
import org.bouncycastle.crypto.digests.Blake2sDigest;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * The responder's side of WireGuard's DoS defence (whitepaper 5.3, 5.4.4, 5.4.7): checks mac1 on
 * every handshake message before any DH, and under load checks mac2 against a cookie bound to the
 * sender's IP address and port, answering with an encrypted cookie reply when it is missing.
 * The cookie secret is random and replaced every two minutes.
 */
public final class CookieChecker {
    /** Cookie secret lifetime (wireguard-go CookieRefreshTime, kernel COOKIE_SECRET_MAX_AGE). */
    public static final long SECRET_LIFETIME_NANOS = 120_000_000_000L;

    private final SecureRandom random;
    private volatile Mac1Verifier mac1;
    private volatile byte[] cookieKey;
    private final byte[] secret = new byte[32];
    private long secretCreatedAt;
    private boolean secretValid;
    /** Counts secret changes, so the receiving threads' digests keyed with the old one are re-made. */
    private long secretGeneration;

    public CookieChecker(SecureRandom random) {
        this.random = random;
    }

    /** Keys derive from our own public key; called whenever the private key changes. */
    public synchronized void init(byte[] ourPublicKey) {
        if (ourPublicKey == null) {
            mac1 = null;
            cookieKey = null;
        } else {
            mac1 = new Mac1Verifier(WireGuardNoise.labelKey(WireGuardNoise.LABEL_MAC1, ourPublicKey));
            cookieKey = WireGuardNoise.labelKey(WireGuardNoise.LABEL_COOKIE, ourPublicKey);
        }
        Arrays.fill(secret, (byte) 0);
        secretValid = false;
        secretGeneration++;
    }

    /**
     * mac1 sits 32 bytes before the end of an initiation or response and covers all before it.
     * Checked on the receiving thread for every handshake-sized datagram, a flood's included:
     * {@link Mac1Verifier} does it from the key's precomputed state, without allocating.
     */
    public boolean checkMac1(byte[] msg, int off, int len) {
        Mac1Verifier v = mac1;
        if (v == null || len < 32) {
            return false;
        }
        return v.verify(msg, off, len - 32, off + len - 32);
    }

    /**
     * mac2 (the last 16 bytes) must be MAC(cookie(source), everything before it). An all-zero mac2
     * is what an initiator without a cookie sends: it is refused without computing anything (a
     * real MAC is all zeros with probability 2^-128), which keeps a flood without cookies cheap.
     */
    public boolean checkMac2(byte[] msg, int off, int len, byte[] source, long nowNanos) {
        if (len < 32) {
            return false;
        }
        int zeros = 0;
        for (int i = off + len - 16; i < off + len; i++) {
            zeros |= msg[i];
        }
        if (zeros == 0) {
            return false;
        }
        // the valid-mac2 flood of issue 11 is checked here for every datagram: without allocation
        // while the secret and the source stay the same (a flood's case)
        Mac2Scratch s = MAC2_SCRATCH.get();
        synchronized (this) {
            if (!secretValid || nowNanos - secretCreatedAt > SECRET_LIFETIME_NANOS) {
                return false;
            }
            if (s.owner != this || s.secretGeneration != secretGeneration) {
                s.forget();
                s.secretDigest = new Blake2sDigest(secret, Blake2s.MAC_LENGTH, null, null);
                s.owner = this;
                s.secretGeneration = secretGeneration;
            }
        }
        s.secretDigest.update(source, 0, source.length);
        s.secretDigest.doFinal(s.cookie, 0);
        if (s.cookieDigest == null || !Arrays.equals(s.cookie, s.lastCookie)) {
            if (s.cookieDigest != null) {
                s.cookieDigest.clearKey();
            }
            s.cookieDigest = new Blake2sDigest(s.cookie, Blake2s.MAC_LENGTH, null, null);
            System.arraycopy(s.cookie, 0, s.lastCookie, 0, s.cookie.length);
        }
        Arrays.fill(s.cookie, (byte) 0);
        s.cookieDigest.update(msg, off, len - 16);
        s.cookieDigest.doFinal(s.mac, 0);
        return Blake2s.equalsConstantTime(s.mac, 0, msg, off + len - 16, Blake2s.MAC_LENGTH);
    }

    private static final ThreadLocal<Mac2Scratch> MAC2_SCRATCH = ThreadLocal.withInitial(Mac2Scratch::new);

    /**
     * A thread's Bouncy Castle digests: one keyed with the current cookie secret (re-made when the
     * secret changes, the old key cleared), one keyed with the last source's cookie.
     */
    private static final class Mac2Scratch {
        CookieChecker owner;
        long secretGeneration = -1;
        Blake2sDigest secretDigest;
        Blake2sDigest cookieDigest;
        final byte[] cookie = new byte[Blake2s.MAC_LENGTH];
        final byte[] lastCookie = new byte[Blake2s.MAC_LENGTH];
        final byte[] mac = new byte[Blake2s.MAC_LENGTH];

        void forget() {
            if (secretDigest != null) {
                secretDigest.clearKey();
                secretDigest = null;
            }
            if (cookieDigest != null) {
                cookieDigest.clearKey();
                cookieDigest = null;
            }
            Arrays.fill(lastCookie, (byte) 0);
        }
    }

    /**
     * Writes a 64-byte cookie reply for the handshake message {@code msg} (whose mac1 becomes the
     * associated data) to out[outOff]. {@code receiverIndex} is the message's sender index.
     */
    public void createReply(byte[] msg, int off, int len, int receiverIndex, byte[] source, long nowNanos,
                            byte[] out, int outOff) {
        byte[] key = cookieKey;
        if (key == null) {
            throw new IllegalStateException("no private key");
        }
        byte[] cookie;
        synchronized (this) {
            if (!secretValid || nowNanos - secretCreatedAt > SECRET_LIFETIME_NANOS) {
                random.nextBytes(secret);
                secretCreatedAt = nowNanos;
                secretValid = true;
                secretGeneration++;
            }
            cookie = Blake2s.mac(secret, source, 0, source.length);
        }
        Bytes.writeIntLE(out, outOff, MessageType.COOKIE_REPLY);
        Bytes.writeIntLE(out, outOff + CookieReplyMessage.OFF_RECEIVER, receiverIndex);
        byte[] nonce = new byte[XChaChaPoly.NONCE_LENGTH];
        random.nextBytes(nonce);
        System.arraycopy(nonce, 0, out, outOff + CookieReplyMessage.OFF_NONCE, nonce.length);
        byte[] mac1 = Arrays.copyOfRange(msg, off + len - 32, off + len - 16);
        XChaChaPoly.seal(key, nonce, mac1, cookie, 0, 16, out, outOff + CookieReplyMessage.OFF_COOKIE);
        Arrays.fill(cookie, (byte) 0);
    }
}
