package io.cryptun.noise.cookie;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.noise.crypto.Blake2s;
import io.cryptun.noise.crypto.XChaChaPoly;
import io.cryptun.noise.handshake.WireGuardNoise;
import io.cryptun.noise.wire.CookieReplyMessage;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * mac2 as the responder checks it: the cookie a reply hands out (decrypted here as an initiator
 * would) makes a valid mac2 for its own source only, across sources taking turns (the checker
 * keeps one source's digest per thread), across threads, and no longer once the secret is replaced.
 */
class CookieCheckerMac2Test {
    private static final long SECOND = 1_000_000_000L;
    private final byte[] publicKey = new byte[32];
    private final CookieChecker checker = new CookieChecker(new SecureRandom());
    private final Random r = new Random(5);

    CookieCheckerMac2Test() {
        r.nextBytes(publicKey);
        checker.init(publicKey);
    }

    /** The cookie for {@code source}, taken from a cookie reply the way an initiator does. */
    private byte[] cookieFor(byte[] msg, byte[] source, long now) {
        byte[] reply = new byte[CookieReplyMessage.SIZE];
        checker.createReply(msg, 0, msg.length, 7, source, now, reply, 0);
        byte[] nonce = Arrays.copyOfRange(reply, CookieReplyMessage.OFF_NONCE, CookieReplyMessage.OFF_NONCE + XChaChaPoly.NONCE_LENGTH);
        byte[] mac1 = Arrays.copyOfRange(msg, msg.length - 32, msg.length - 16);
        byte[] cookie = new byte[16];
        int n = XChaChaPoly.open(WireGuardNoise.labelKey(WireGuardNoise.LABEL_COOKIE, publicKey), nonce, mac1,
                reply, CookieReplyMessage.OFF_COOKIE, 32, cookie, 0);
        assertEquals(16, n, "the reply opens with the cookie key");
        return cookie;
    }

    private byte[] initiation() {
        byte[] m = new byte[148];
        r.nextBytes(m);
        return m;
    }

    private static byte[] withMac2(byte[] msg, byte[] cookie) {
        byte[] m = msg.clone();
        Blake2s.mac(cookie, m, 0, m.length - 16, m, m.length - 16);
        return m;
    }

    private static byte[] source(int last, int port) {
        return new byte[] {10, 0, 0, (byte) last, (byte) (port >>> 8), (byte) port};
    }

    @Test
    void aCookieMakesAValidMac2ForItsOwnSourceOnly() throws Exception {
        long now = 5 * SECOND;
        byte[] a = source(1, 51820);
        byte[] b = source(1, 40000);
        byte[] msg = initiation();
        byte[] cookieA = cookieFor(msg, a, now);
        byte[] cookieB = cookieFor(msg, b, now);
        for (int i = 0; i < 3; i++) {
            // sources taking turns, each right and each wrong
            assertTrue(checker.checkMac2(withMac2(msg, cookieA), 0, 148, a, now));
            assertTrue(checker.checkMac2(withMac2(msg, cookieB), 0, 148, b, now));
            assertFalse(checker.checkMac2(withMac2(msg, cookieA), 0, 148, b, now));
            assertFalse(checker.checkMac2(withMac2(msg, cookieB), 0, 148, a, now));
        }
        byte[] tampered = withMac2(msg, cookieA);
        tampered[20] ^= 1;
        assertFalse(checker.checkMac2(tampered, 0, 148, a, now), "the MAC covers the message");
        byte[] zeros = msg.clone();
        Arrays.fill(zeros, 132, 148, (byte) 0);
        assertFalse(checker.checkMac2(zeros, 0, 148, a, now), "no cookie, no mac2");

        // another thread has digests of its own and agrees
        boolean[] other = new boolean[2];
        Thread t = new Thread(() -> {
            other[0] = checker.checkMac2(withMac2(msg, cookieA), 0, 148, a, now);
            other[1] = checker.checkMac2(withMac2(msg, cookieA), 0, 148, b, now);
        });
        t.start();
        t.join();
        assertTrue(other[0]);
        assertFalse(other[1]);
    }

    @Test
    void aReplacedSecretEndsTheOldCookies() {
        long now = 5 * SECOND;
        byte[] a = source(2, 51820);
        byte[] msg = initiation();
        byte[] oldCookie = cookieFor(msg, a, now);
        assertTrue(checker.checkMac2(withMac2(msg, oldCookie), 0, 148, a, now));
        // past the secret's lifetime: the old cookie is refused, and a reply brings a new secret
        long later = now + CookieChecker.SECRET_LIFETIME_NANOS + SECOND;
        assertFalse(checker.checkMac2(withMac2(msg, oldCookie), 0, 148, a, later));
        byte[] newCookie = cookieFor(msg, a, later);
        assertFalse(Arrays.equals(oldCookie, newCookie));
        assertFalse(checker.checkMac2(withMac2(msg, oldCookie), 0, 148, a, later));
        assertTrue(checker.checkMac2(withMac2(msg, newCookie), 0, 148, a, later));
        // a new private key (init) ends the secret too
        checker.init(publicKey);
        assertFalse(checker.checkMac2(withMac2(msg, newCookie), 0, 148, a, later));
    }
}
