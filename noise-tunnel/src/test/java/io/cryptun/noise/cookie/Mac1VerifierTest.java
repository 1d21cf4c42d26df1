package io.cryptun.noise.cookie;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.noise.crypto.Blake2s;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link Mac1Verifier} agrees with Bouncy Castle's keyed BLAKE2s-128 for every length and offset. */
class Mac1VerifierTest {
    @Test
    void agreesWithBouncyCastleForEveryLengthUpTo300Bytes() {
        Random r = new Random(11);
        for (int round = 0; round < 20; round++) {
            byte[] key = new byte[32];
            r.nextBytes(key);
            Mac1Verifier v = new Mac1Verifier(key);
            for (int len = 0; len <= 300; len++) {
                int off = r.nextInt(7);
                byte[] buf = new byte[off + len + 16 + r.nextInt(5)];
                r.nextBytes(buf);
                int macOff = off + len;
                Blake2s.mac(key, buf, off, len, buf, macOff);
                assertTrue(v.verify(buf, off, len, macOff), "len " + len + " off " + off);
                // any flipped bit, in the message or the MAC, is refused
                int at = off + r.nextInt(len + 16);
                buf[at] ^= (byte) (1 << r.nextInt(8));
                assertFalse(v.verify(buf, off, len, macOff), "flipped at " + at + ", len " + len);
            }
        }
    }

    @Test
    void theWireGuardShapesAgree() {
        Random r = new Random(12);
        byte[] key = new byte[32];
        r.nextBytes(key);
        Mac1Verifier v = new Mac1Verifier(key);
        for (int size : new int[] {148, 92}) {
            for (int i = 0; i < 1000; i++) {
                byte[] m = new byte[size];
                r.nextBytes(m);
                Blake2s.mac(key, m, 0, size - 32, m, size - 32);
                assertTrue(v.verify(m, 0, size - 32, size - 32));
                m[size - 17] ^= 1;
                assertFalse(v.verify(m, 0, size - 32, size - 32));
            }
        }
    }

    /**
     * The digest is keyed where the verifier is made: a thread's first check (a cold daemon's first
     * handshake message on its event loop) keys nothing, and checks from many threads at once,
     * which then key their own, still agree with Bouncy Castle.
     */
    @Test
    void theFirstCheckOnAThreadKeysNothingAndManyThreadsAgree() throws Exception {
        Random r = new Random(13);
        byte[] key = new byte[32];
        r.nextBytes(key);
        Mac1Verifier v = new Mac1Verifier(key);
        byte[] m = new byte[148];
        r.nextBytes(m);
        Blake2s.mac(key, m, 0, 116, m, 116);
        boolean[] first = new boolean[1];
        Thread t = new Thread(() -> first[0] = v.verify(m, 0, 116, 116));
        t.start();
        t.join();
        assertTrue(first[0]);
        assertTrue(v.verify(m, 0, 116, 116));
        assertEquals(0, v.threadDigests(), "one thread at a time: the digest keyed at construction serves them");

        int threads = 8;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            java.util.List<java.util.concurrent.Future<Boolean>> results = new java.util.ArrayList<>();
            for (int i = 0; i < threads; i++) {
                int seed = i;
                results.add(pool.submit(() -> {
                    Random rr = new Random(seed);
                    for (int k = 0; k < 2000; k++) {
                        byte[] msg = new byte[148];
                        rr.nextBytes(msg);
                        Blake2s.mac(key, msg, 0, 116, msg, 116);
                        if (!v.verify(msg, 0, 116, 116)) {
                            return false;
                        }
                        msg[120] ^= 1;
                        if (v.verify(msg, 0, 116, 116)) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (java.util.concurrent.Future<Boolean> f : results) {
                assertTrue(f.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aKeyMustBe32Bytes() {
        assertThrows(IllegalArgumentException.class, () -> new Mac1Verifier(new byte[31]));
    }
}
