package io.cryptun.noise.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The openssl backend against the JDK and Bouncy Castle backends, byte for byte. Runs where the
 * backend is available (JDK 22+ with libcrypto); on the build's JDK 17 it is skipped here and run
 * on a newer JDK by {@link OpenSslOnNewerJdkTest}.
 */
class OpenSslTransportCipherTest {
    private static final int TAG = TransportCipher.TAG_LENGTH;
    private static final int[] SIZES = {0, 1, 15, 16, 17, 63, 64, 65, 255, 1420, 1500, 8192, 65535};
    private static final long[] COUNTERS = {0, 1, 255, 256, 0xFFFF_FFFFL, 0x1_0000_0000L, 0x0123_4567_89AB_CDEFL, -1L};
    private final Random random = new Random(20261205);

    @BeforeEach
    void needsTheBackend() {
        Assumptions.assumeTrue(OpenSslTransportCipher.isAvailable(), OpenSslTransportCipher::unavailableReason);
    }

    private TransportKey newKey() {
        byte[] raw = new byte[32];
        random.nextBytes(raw);
        return new TransportKey(raw);
    }

    /** A buffer with random bytes around the packet, so writes outside it show. */
    private byte[] packet(int off, int len) {
        byte[] b = new byte[off + len + TAG + 9];
        random.nextBytes(b);
        return b;
    }

    @Test
    void sealsExactlyAsTheJdkAndBouncyCastleDoAndOpensTheirs() {
        TransportCipher openssl = new OpenSslTransportCipher();
        TransportCipher jdk = new JdkTransportCipher();
        TransportCipher bc = new BcTransportCipher();
        TransportKey key = newKey();
        int checked = 0;
        for (int size : SIZES) {
            for (int off : new int[] {0, 7, 16}) {
                for (long counter : COUNTERS) {
                    byte[] plain = packet(off, size);
                    byte[] byOpenssl = plain.clone();
                    byte[] byJdk = plain.clone();
                    byte[] byBc = plain.clone();
                    assertEquals(size + TAG, openssl.seal(key, counter, byOpenssl, off, size));
                    jdk.seal(key, counter, byJdk, off, size);
                    bc.seal(key, counter, byBc, off, size);
                    String where = "size " + size + " off " + off + " counter " + Long.toUnsignedString(counter);
                    assertArrayEquals(byJdk, byOpenssl, where + ": openssl vs jdk (ciphertext, tag, bytes around)");
                    assertArrayEquals(byBc, byOpenssl, where + ": openssl vs bc");

                    byte[] fromJdk = byJdk.clone();
                    assertEquals(size, openssl.open(key, counter, fromJdk, off, size + TAG), where);
                    assertArrayEquals(Arrays.copyOfRange(plain, off, off + size),
                            Arrays.copyOfRange(fromJdk, off, off + size), where + ": openssl opening jdk's");
                    assertArrayEquals(Arrays.copyOfRange(plain, 0, off), Arrays.copyOfRange(fromJdk, 0, off), where);
                    byte[] fromOpenssl = byOpenssl.clone();
                    assertEquals(size, jdk.open(key, counter, fromOpenssl, off, size + TAG), where + ": jdk opening openssl's");
                    byte[] fromOpenssl2 = byOpenssl.clone();
                    assertEquals(size, bc.open(key, counter, fromOpenssl2, off, size + TAG), where + ": bc opening openssl's");
                    assertArrayEquals(fromOpenssl, fromOpenssl2, where);
                    checked++;
                }
            }
        }
        assertEquals(SIZES.length * 3 * COUNTERS.length, checked);
    }

    @Test
    void refusesTamperedPacketsAndLeavesTheBufferAsItWas() {
        TransportCipher openssl = new OpenSslTransportCipher();
        TransportCipher jdk = new JdkTransportCipher();
        TransportKey key = newKey();
        int off = 16;
        for (int size : new int[] {0, 1, 64, 1420}) {
            long counter = 42 + size; // the JDK refuses to seal twice under one key and nonce
            byte[] sealed = packet(off, size);
            jdk.seal(key, counter, sealed, off, size);
            List<byte[]> bad = new ArrayList<>();
            for (int i = off; i < off + size + TAG; i += Math.max(1, (size + TAG) / 7)) {
                byte[] b = sealed.clone();
                b[i] ^= (byte) (1 << (i & 7));
                bad.add(b);
            }
            byte[] lastTagBit = sealed.clone();
            lastTagBit[off + size + TAG - 1] ^= (byte) 0x80;
            bad.add(lastTagBit);
            for (byte[] b : bad) {
                byte[] before = b.clone();
                assertEquals(-1, openssl.open(key, counter, b, off, size + TAG), "tampered packet of " + size);
                assertArrayEquals(before, b, "a refused packet leaves no plaintext in the buffer");
            }
            // the right bytes under the wrong counter or key
            byte[] b = sealed.clone();
            assertEquals(-1, openssl.open(key, counter + 1, b, off, size + TAG));
            assertArrayEquals(sealed, b);
            assertEquals(-1, openssl.open(newKey(), counter, b, off, size + TAG));
            assertArrayEquals(sealed, b);
            // and the context still opens a good packet after all those failures
            assertEquals(size, openssl.open(key, counter, b, off, size + TAG));
        }
        byte[] tooShort = new byte[40];
        assertEquals(-1, openssl.open(key, 1, tooShort, 16, TAG - 1));
    }

    @Test
    void oneCipherServesManyKeysInTurnAndPacketsBeyondItsScratch() {
        TransportCipher openssl = new OpenSslTransportCipher();
        TransportCipher jdk = new JdkTransportCipher();
        TransportKey[] keys = {newKey(), newKey(), newKey()};
        for (int round = 0; round < 30; round++) {
            TransportKey key = keys[round % keys.length];
            int size = round == 29 ? 100_000 : 1 + random.nextInt(1500);
            byte[] plain = packet(16, size);
            byte[] a = plain.clone();
            byte[] b = plain.clone();
            openssl.seal(key, round, a, 16, size);
            jdk.seal(key, round, b, 16, size);
            assertArrayEquals(b, a, "round " + round);
            assertEquals(size, openssl.open(key, round, a, 16, size + TAG));
            assertArrayEquals(Arrays.copyOfRange(plain, 0, 16 + size), Arrays.copyOfRange(a, 0, 16 + size),
                    "round " + round);
        }
    }

    @Test
    void destroyingTheKeyFreesItsContextAndNothingIsProtectedWithItAfterwards() {
        TransportCipher openssl = new OpenSslTransportCipher();
        TransportKey key = newKey();
        byte[] sealed = packet(16, 100);
        byte[] plain = sealed.clone();
        openssl.seal(key, 7, sealed, 16, 100);
        OpenSslCipherContext ctx = key.openSslContext((OpenSslTransportCipher) openssl);
        assertNotNull(ctx);
        assertFalse(ctx.isFreed());

        key.destroy();
        assertTrue(ctx.isFreed(), "EVP_CIPHER_CTX freed with the key");
        byte[] b = sealed.clone();
        assertEquals(-1, openssl.open(key, 7, b, 16, 116), "a destroyed key opens nothing");
        assertArrayEquals(sealed, b);
        byte[] p = plain.clone();
        openssl.seal(key, 8, p, 16, 100);
        byte[] zeros = new byte[116];
        assertArrayEquals(zeros, Arrays.copyOfRange(p, 16, 132), "sealing with a destroyed key leaves no plaintext");

        // a key destroyed before its first use never gets a context
        TransportKey unused = newKey();
        unused.destroy();
        assertEquals(-1, openssl.open(unused, 7, sealed.clone(), 16, 116));
        assertEquals(null, unused.openSslContext((OpenSslTransportCipher) openssl));
    }

    @Test
    void threadsSharingOneKeyEachWithTheirOwnCipherAgreeWithTheJdk() throws Exception {
        TransportKey key = newKey();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int thread = t;
                Callable<Integer> work = () -> {
                    TransportCipher openssl = new OpenSslTransportCipher();
                    TransportCipher jdk = new JdkTransportCipher();
                    Random r = new Random(thread);
                    for (int i = 0; i < 2000; i++) {
                        long counter = thread * 1_000_000L + i;
                        byte[] plain = new byte[16 + 200 + TAG];
                        r.nextBytes(plain);
                        byte[] a = plain.clone();
                        byte[] b = plain.clone();
                        openssl.seal(key, counter, a, 16, 200);
                        jdk.seal(key, counter, b, 16, 200);
                        if (!Arrays.equals(a, b) || openssl.open(key, counter, a, 16, 216) != 200) {
                            return i;
                        }
                    }
                    return -1;
                };
                results.add(pool.submit(work));
            }
            for (Future<Integer> f : results) {
                assertEquals(-1, f.get(), "first packet where threads sharing a key disagreed");
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
