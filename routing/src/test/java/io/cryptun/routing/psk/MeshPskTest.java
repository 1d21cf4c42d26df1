package io.cryptun.routing.psk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MeshPskTest {
    private static final HexFormat HEX = HexFormat.of();

    private static byte[] fill(int b) {
        byte[] k = new byte[32];
        Arrays.fill(k, (byte) b);
        return k;
    }

    private static byte[] range(int from) {
        byte[] k = new byte[32];
        for (int i = 0; i < 32; i++) {
            k[i] = (byte) (from + i);
        }
        return k;
    }

    /**
     * Known answers, computed independently with Python's hashlib/hmac (HMAC over BLAKE2s) and
     * written into docs/mesh-psk.md.
     */
    @Test
    void knownAnswers() {
        assertEquals("a62dab4d8b2d4277b6bc49db08f09e700286afac07f1caead9ace04c19a1d587",
                HEX.formatHex(MeshPsk.derive(range(0), fill(0x11), fill(0xee))));
        assertEquals("bb9c18f08c03d4d46750bf4d08dceadebc525fd3834b7770904fb3bdbf9c9754",
                HEX.formatHex(MeshPsk.derive(fill(0x42), fill(0x11), range(32))));
        assertEquals("d277a7f3f6d88537c9640e0eb22ee07a96a7bcb42305b67f25b0e83f68d03efc",
                HEX.formatHex(MeshPsk.derive(range(0), range(32), fill(0xee))));
        assertEquals("1f8e543a", new MeshSecret(range(0)).id());
        assertEquals("b2366f45", new MeshSecret(fill(0x42)).id());
    }

    @Test
    void symmetricAndDistinctForEveryOtherPair() {
        Random r = new Random(5);
        byte[] secret = new byte[32];
        r.nextBytes(secret);
        List<byte[]> keys = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            byte[] k = new byte[32];
            r.nextBytes(k);
            keys.add(k);
        }
        Set<ByteBuffer> seen = new HashSet<>();
        for (int i = 0; i < keys.size(); i++) {
            for (int j = i + 1; j < keys.size(); j++) {
                byte[] ab = MeshPsk.derive(secret, keys.get(i), keys.get(j));
                byte[] ba = MeshPsk.derive(secret, keys.get(j), keys.get(i));
                assertArrayEquals(ab, ba, "derive(A,B) = derive(B,A)");
                assertTrue(seen.add(ByteBuffer.wrap(ab)), "no two pairs share a key");
            }
        }
        assertEquals(40 * 39 / 2, seen.size());
        // another secret gives other keys for the same pair
        byte[] other = secret.clone();
        other[0] ^= 1;
        assertFalse(Arrays.equals(MeshPsk.derive(secret, keys.get(0), keys.get(1)),
                MeshPsk.derive(other, keys.get(0), keys.get(1))));
        // a node with itself is a pair too, just never used
        assertEquals(32, MeshPsk.derive(secret, keys.get(0), keys.get(0)).length);
    }

    @Test
    void bothEndsChooseTheSameSecretWhateverTheirFileOrder() {
        MeshSecret s1 = new MeshSecret(range(0));
        MeshSecret s2 = new MeshSecret(fill(0x42));
        MeshSecret s3 = new MeshSecret(fill(0x07));
        MeshSecrets a = new MeshSecrets(List.of(s1, s2));
        MeshSecrets b = new MeshSecrets(List.of(s2, s1, s3));
        assertEquals(a.choose(b.ids()).get().id(), b.choose(a.ids()).get().id());
        byte[] pa = fill(0x10);
        byte[] pb = fill(0x20);
        assertArrayEquals(a.pskCandidates(pa, pb, b.ids()).get(0), b.pskCandidates(pb, pa, a.ids()).get(0));
        // no shared generation: each uses its own current secret, so their handshakes fail
        MeshSecrets c = new MeshSecrets(List.of(s3));
        assertTrue(a.choose(c.ids()).isEmpty());
        assertNotEquals(ByteBuffer.wrap(a.pskCandidates(pa, pb, c.ids()).get(0)),
                ByteBuffer.wrap(c.pskCandidates(pb, pa, a.ids()).get(0)));
        // every own generation is among the candidates, the chosen one first
        assertEquals(2, a.pskCandidates(pa, pb, b.ids()).size());
    }

    @Test
    void fileWithCurrentAndNextSecret(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("mesh.psk");
        String cur = Base64.getEncoder().encodeToString(range(0));
        String next = Base64.getEncoder().encodeToString(fill(0x42));
        Files.writeString(f, "# community secret\n" + cur + "\n\n" + next + "  # next generation\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        List<String> warnings = new ArrayList<>();
        MeshSecrets s = MeshSecrets.read(f, warnings::add);
        assertEquals(List.of("1f8e543a", "b2366f45"), s.ids());
        assertTrue(warnings.isEmpty(), warnings.toString());
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        MeshSecrets.read(f, warnings::add);
        assertEquals(1, warnings.size());

        Files.writeString(f, cur + "\nnot-a-key\n");
        IOException e = assertThrows(IOException.class, () -> MeshSecrets.read(f, w -> { }));
        assertEquals(f + ":2: not a mesh secret (key is not 44 characters of base64 ending in '='; make one with `wg genpsk`)",
                e.getMessage());
        assertFalse(e.getMessage().contains(cur));
        Files.writeString(f, "# nothing\n");
        assertThrows(IOException.class, () -> MeshSecrets.read(f, w -> { }));
        Files.writeString(f, (cur + "\n").repeat(5));
        assertThrows(IOException.class, () -> MeshSecrets.read(f, w -> { }));
        assertThrows(IOException.class, () -> MeshSecrets.read(dir.resolve("missing"), w -> { }));
    }
}
