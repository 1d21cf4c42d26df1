package io.cryptun.routing.psk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.noise.crypto.Keys;
import io.cryptun.noise.crypto.X25519Keys;
import io.cryptun.routing.bmx7.Bmx7NodeKey;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The WireGuard key derived from bmx7's node key. The known answers were computed independently:
 * the primes read with {@code openssl rsa -text}, HMAC-BLAKE2s with Python's hmac and hashlib, the
 * public key with {@code openssl pkey}; the node ids with Python's SHA-224.
 */
class MeshIdentityTest {
    private static Path key(String name) throws URISyntaxException {
        return Path.of(MeshIdentityTest.class.getResource("/bmx7-keys/" + name).toURI());
    }

    private static byte[] derive(Path file) throws IOException {
        Bmx7NodeKey k = Bmx7NodeKey.read(file);
        try {
            return MeshIdentity.wireGuardPrivateKey(k);
        } finally {
            k.destroy();
        }
    }

    @Test
    void knownAnswers() throws Exception {
        byte[] a = derive(key("node-a.der"));
        assertEquals("10ddc3b9ebb1eff7e4c8f65cdb4bef1399abf8bf2efc543cb82c46a4e0cc306e", HexFormat.of().formatHex(a));
        assertEquals("U6J2JBPvjzoazqgxkD3AXepEh2Qn1PnBDzDOZpUEl1Y=", Keys.toBase64(X25519Keys.publicFromPrivate(a)));
        byte[] b = derive(key("node-b.der"));
        assertEquals("70dbe3e97710b993e4bf4debd03cf5c5fecf2fe098d76eb5d8509a0d615a5d59", HexFormat.of().formatHex(b));
        assertEquals("irjFka+9EOKv3CmHxe40d+jNtnsEsTYwgZBPHIgxICM=", Keys.toBase64(X25519Keys.publicFromPrivate(b)));
        assertEquals("CBFFECA7122CD9E066BEAEE77CBCBE73D311A665B4AB41D2553F5D5C",
                Bmx7NodeKey.read(key("node-a.der")).nodeId().toString());
        assertEquals("197745BBFE8DD44245E1B5810AF1096F329DAE7DABF49062FB4820FC",
                Bmx7NodeKey.read(key("node-b.der")).nodeId().toString());
        assertEquals(1024, Bmx7NodeKey.read(key("node-a.der")).bits());
    }

    @Test
    void theSameKeyInAnotherEncodingGivesTheSameWireGuardKeyAndEveryRunAgrees() throws Exception {
        byte[] a = derive(key("node-a.der"));
        // as openssl converts it (PKCS#8), and as PolarSSL-era bmx7 wrote integers (no leading zero byte)
        assertArrayEquals(a, derive(key("node-a.pkcs8.der")));
        assertArrayEquals(a, derive(key("node-a.polarssl.der")));
        assertArrayEquals(a, derive(key("node-a.der")));
        assertFalse(Arrays.equals(a, derive(key("node-b.der"))));
        // clamped as X25519 wants
        assertEquals(0, a[0] & 7);
        assertEquals(0x40, a[31] & 0xc0);
    }

    @Test
    void whatIsNotOneConsistentRsaKeyIsRefusedWithoutKeyMaterialInTheMessage(@TempDir Path dir) throws Exception {
        byte[] good = Files.readAllBytes(key("node-a.der"));
        Path f = dir.resolve("rsa.der");
        for (byte[] bad : new byte[][] {
            new byte[0],
            Arrays.copyOf(good, good.length - 1),
            Arrays.copyOf(good, good.length + 1),
            "-----BEGIN RSA PRIVATE KEY-----\n".getBytes(),
            corruptPrime(good),
        }) {
            Files.write(f, bad);
            IOException e = assertThrows(IOException.class, () -> Bmx7NodeKey.read(f));
            assertTrue(e.getMessage().startsWith(f + ": not a bmx7 node key"), e.getMessage());
            assertFalse(e.getMessage().substring(f.toString().length()).matches(".*[0-9a-f]{16}.*"), e.getMessage());
        }
        assertThrows(IOException.class, () -> Bmx7NodeKey.read(dir.resolve("missing.der")));
        assertThrows(IOException.class, () -> Bmx7NodeKey.read(dir));
    }

    /** Flips a bit in the last byte of the first prime, so p × q no longer makes n. */
    private static byte[] corruptPrime(byte[] der) {
        byte[] copy = der.clone();
        // PKCS#1 layout of this 1024-bit key: the primes follow n (129+3), e (5), d (128 or 129 +3)
        Bmx7NodeKey k = Bmx7NodeKey.parse(der);
        byte[] p = k.smallerPrime();
        int at = indexOf(copy, p);
        if (at < 0) {
            p = k.largerPrime();
            at = indexOf(copy, p);
        }
        copy[at + p.length - 1] ^= 2;
        return copy;
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
