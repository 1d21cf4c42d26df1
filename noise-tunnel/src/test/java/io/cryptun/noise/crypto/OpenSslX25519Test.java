package io.cryptun.noise.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bouncycastle.math.ec.rfc7748.X25519;
import org.junit.jupiter.api.Test;

/**
 * libcrypto's X25519 against Bouncy Castle's, byte for byte; runs where the backend is available
 * (JDK 22 and later: {@link OpenSslOnNewerJdkTest} runs it there from the JDK 17 build).
 */
class OpenSslX25519Test {
    private static final HexFormat HEX = HexFormat.of();
    private static final BigInteger P = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));

    /** RFC 7748 section 6.1. */
    private static final byte[] ALICE_PRIVATE = HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    private static final byte[] BOB_PRIVATE = HEX.parseHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    private static final String ALICE_PUBLIC = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
    private static final String BOB_PUBLIC = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
    private static final String SHARED = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

    private static void assumeAvailable() {
        assumeTrue(OpenSslX25519.isAvailable(), () -> "X25519 from libcrypto: " + OpenSslX25519.unavailableReason());
    }

    @Test
    void autoUsesLibcryptoExactlyWhereItIsAvailable() {
        assertEquals(OpenSslX25519.isAvailable() ? "openssl" : "bc", X25519Keys.backend());
        // the cipher and the key agreement come from the same library: one available means both
        assertEquals(LibCrypto.isAvailable(), OpenSslX25519.isAvailable(), String.valueOf(OpenSslX25519.unavailableReason()));
    }

    @Test
    void theDaemonsChoiceFollowsItsCipherSoThatOnlyOpensslLoadsLibcrypto() {
        try {
            assertEquals("bc", X25519Keys.follow("jdk"));
            assertEquals("bc", X25519Keys.follow("bc"));
            whateverTheBackendItReproducesRfc7748();
            assertEquals(OpenSslX25519.isAvailable() ? "openssl" : "bc", X25519Keys.follow("openssl"));
            whateverTheBackendItReproducesRfc7748();
        } finally {
            // what auto chooses, for the tests after this one
            X25519Keys.follow("openssl");
        }
    }

    @Test
    void whateverTheBackendItReproducesRfc7748() {
        byte[] alicePublic = X25519Keys.publicFromPrivate(ALICE_PRIVATE);
        byte[] bobPublic = X25519Keys.publicFromPrivate(BOB_PRIVATE);
        assertEquals(ALICE_PUBLIC, HEX.formatHex(alicePublic));
        assertEquals(BOB_PUBLIC, HEX.formatHex(bobPublic));
        byte[] ab = new byte[32];
        byte[] ba = new byte[32];
        byte[] ab4 = new byte[32];
        assertTrue(X25519Keys.sharedSecret(ALICE_PRIVATE, bobPublic, ab));
        assertTrue(X25519Keys.sharedSecret(BOB_PRIVATE, alicePublic, ba));
        assertTrue(X25519Keys.sharedSecret(ALICE_PRIVATE, alicePublic, bobPublic, ab4));
        assertArrayEquals(ab, ba);
        assertArrayEquals(ab, ab4);
        assertEquals(SHARED, HEX.formatHex(ab));
    }

    @Test
    void publicKeysAndAgreementsEqualBouncyCastlesForRandomKeys() {
        assumeAvailable();
        Random random = new Random(7748);
        for (int i = 0; i < 300; i++) {
            byte[] a = new byte[32];
            byte[] peer = new byte[32];
            random.nextBytes(a);
            random.nextBytes(peer);
            if (i % 3 == 0) {
                X25519Keys.clamp(a); // as wg prints keys; the rest unclamped: both clamp inside
            }
            if (i % 2 == 0) {
                peer[31] &= 0x7f; // the rest with the top bit set, which RFC 7748 says to ignore
            }
            byte[] pub = new byte[32];
            OpenSslX25519.publicFromPrivate(a, pub);
            assertArrayEquals(bcPublic(a), pub, "public key " + i);

            byte[] expected = new byte[32];
            boolean bcOk = X25519.calculateAgreement(a, 0, peer, 0, expected, 0);
            byte[] three = new byte[32];
            byte[] four = new byte[32];
            assertEquals(bcOk, OpenSslX25519.sharedSecret(a, peer, three), "agreement " + i);
            assertEquals(bcOk, OpenSslX25519.sharedSecret(a, pub, peer, four), "agreement " + i);
            if (bcOk) {
                assertArrayEquals(expected, three, "agreement " + i);
                assertArrayEquals(expected, four, "agreement " + i);
            }
        }
    }

    @Test
    void lowOrderPeerKeysAreRefusedAsBouncyCastleRefusesThem() {
        assumeAvailable();
        byte[] pub = new byte[32];
        OpenSslX25519.publicFromPrivate(ALICE_PRIVATE, pub);
        for (byte[] point : lowOrderPoints()) {
            byte[] out = new byte[32];
            assertFalse(X25519.calculateAgreement(ALICE_PRIVATE, 0, point, 0, out, 0), HEX.formatHex(point));
            out[0] = 42;
            assertFalse(OpenSslX25519.sharedSecret(ALICE_PRIVATE, point, out), HEX.formatHex(point));
            assertFalse(OpenSslX25519.sharedSecret(ALICE_PRIVATE, pub, point, out), HEX.formatHex(point));
            assertEquals(42, out[0], "a refused agreement writes nothing");
        }
        // and the thread's error queue was cleared: a good agreement right after works
        byte[] out = new byte[32];
        assertTrue(OpenSslX25519.sharedSecret(ALICE_PRIVATE, pub, X25519Keys.publicFromPrivate(BOB_PRIVATE), out));
    }

    /**
     * A static key kept in libcrypto (one key object and derivation context for many agreements)
     * gives Bouncy Castle's bytes for many peers in a row, refuses low-order peers as a fresh
     * agreement does and goes on working after, and refuses everything once destroyed.
     */
    @Test
    void aKeptStaticKeyAgreesAsBouncyCastleAgreesWithPeerAfterPeer() {
        assumeAvailable();
        Random random = new Random(77);
        byte[] priv = new byte[32];
        random.nextBytes(priv);
        X25519Keys.clamp(priv);
        OpenSslX25519.KeptKey kept = OpenSslX25519.KeptKey.of(priv, bcPublic(priv));
        assertTrue(kept != null);
        try {
            for (int i = 0; i < 50; i++) {
                byte[] peerPriv = new byte[32];
                random.nextBytes(peerPriv);
                byte[] peer = bcPublic(peerPriv);
                byte[] expected = new byte[32];
                assertTrue(X25519.calculateAgreement(priv, 0, peer, 0, expected, 0));
                byte[] out = new byte[32];
                assertTrue(kept.agree(peer, out), "agreement " + i);
                assertArrayEquals(expected, out, "agreement " + i);
                if (i % 10 == 3) {
                    byte[] low = lowOrderPoints().get(i % 7);
                    byte[] refused = new byte[32];
                    refused[0] = 42;
                    assertFalse(kept.agree(low, refused));
                    assertEquals(42, refused[0], "a refused agreement writes nothing");
                }
            }
        } finally {
            kept.free();
        }
        assertFalse(kept.agree(bcPublic(BOB_PRIVATE), new byte[32]), "freed: nothing more");
        kept.free();

        X25519Keys.AgreementKey key = X25519Keys.AgreementKey.of(ALICE_PRIVATE, HEX.parseHex(ALICE_PUBLIC));
        byte[] out = new byte[32];
        assertTrue(key.agree(HEX.parseHex(BOB_PUBLIC), out));
        assertEquals(SHARED, HEX.formatHex(out));
        key.destroy();
        assertTrue(key.zeroed(), "its Java copy of the private key is zeroed");
        assertFalse(key.agree(HEX.parseHex(BOB_PUBLIC), out), "destroyed: nothing more");
    }

    @Test
    void keysOfAnotherLengthAreRefusedWithAClearErrorAndNoSecretStays() {
        assumeAvailable();
        byte[] out = new byte[32];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OpenSslX25519.sharedSecret(new byte[31], new byte[32], out));
        assertTrue(e.getMessage().contains("32 bytes"), e.getMessage());
        // the private key staged before the bad public key is refused is wiped, and the scratch goes back
        assertThrows(IllegalArgumentException.class,
                () -> OpenSslX25519.sharedSecret(ALICE_PRIVATE, new byte[33], new byte[32], out));
        boolean[] wiped = new boolean[1];
        assertEquals(4, OpenSslX25519.pooledScratches(wiped));
        assertTrue(wiped[0], "no private key or result left in the native scratch");
        // and after a good agreement too
        assertTrue(OpenSslX25519.sharedSecret(ALICE_PRIVATE, X25519Keys.publicFromPrivate(BOB_PRIVATE), out));
        assertEquals(4, OpenSslX25519.pooledScratches(wiped));
        assertTrue(wiped[0]);
    }

    @Test
    void moreThreadsThanPooledScratchesAgreeConcurrently() throws Exception {
        assumeAvailable();
        // the pool holds 4 scratches: 6 threads make some calls use one of their own
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                long seed = t;
                runs.add(pool.submit(() -> {
                    Random random = new Random(seed);
                    for (int i = 0; i < 200; i++) {
                        byte[] a = new byte[32];
                        byte[] b = new byte[32];
                        random.nextBytes(a);
                        random.nextBytes(b);
                        byte[] pa = bcPublic(a);
                        byte[] pb = bcPublic(b);
                        byte[] ab = new byte[32];
                        byte[] ba = new byte[32];
                        assertTrue(OpenSslX25519.sharedSecret(a, pa, pb, ab));
                        assertTrue(OpenSslX25519.sharedSecret(b, pb, pa, ba));
                        assertArrayEquals(ab, ba);
                        byte[] expected = new byte[32];
                        X25519.calculateAgreement(a, 0, pb, 0, expected, 0);
                        assertArrayEquals(expected, ab);
                    }
                    return null;
                }));
            }
            for (Future<?> f : runs) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static byte[] bcPublic(byte[] priv) {
        byte[] pub = new byte[32];
        X25519.scalarMultBase(priv, 0, pub, 0);
        return pub;
    }

    /** u-coordinates whose product with any clamped scalar is zero, and their non-canonical forms. */
    private static List<byte[]> lowOrderPoints() {
        List<BigInteger> us = List.of(
                BigInteger.ZERO,
                BigInteger.ONE,
                new BigInteger("325606250916557431795983626356110631294008115727848805560023387167927233504"),
                new BigInteger("39382357235489614581723060781553021112529911719440698176882885853963445705823"),
                P.subtract(BigInteger.ONE),
                P,
                P.add(BigInteger.ONE));
        List<byte[]> points = new ArrayList<>();
        for (BigInteger u : us) {
            byte[] be = u.toByteArray();
            byte[] le = new byte[32];
            for (int i = 0; i < be.length && i < 32; i++) {
                le[i] = be[be.length - 1 - i];
            }
            points.add(le);
        }
        return points;
    }
}
