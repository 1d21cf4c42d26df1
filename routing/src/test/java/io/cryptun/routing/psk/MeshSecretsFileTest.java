package io.cryptun.routing.psk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The secret file followed while the daemon runs, and the keyring the peers' keys come from. */
class MeshSecretsFileTest {
    private static byte[] range(int start) {
        byte[] b = new byte[32];
        for (int i = 0; i < 32; i++) {
            b[i] = (byte) (start + i);
        }
        return b;
    }

    private static byte[] fill(int v) {
        byte[] b = new byte[32];
        java.util.Arrays.fill(b, (byte) v);
        return b;
    }

    private static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    @Test
    void rereadsOnlyWhenTheContentChangesAndKeepsTheLastGoodOnErrors(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("mesh.psk");
        Files.writeString(f, b64(range(0)) + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        MeshSecretsFile file = new MeshSecretsFile(f);
        List<String> warnings = new ArrayList<>();
        assertEquals(List.of("1f8e543a"), file.readIfChanged(warnings::add).orElseThrow().ids());
        assertTrue(file.readIfChanged(warnings::add).isEmpty(), "unchanged");
        // the next generation appended: read again
        Files.writeString(f, b64(range(0)) + "\n" + b64(fill(0x42)) + "\n");
        assertEquals(List.of("1f8e543a", "b2366f45"), file.readIfChanged(warnings::add).orElseThrow().ids());
        // a broken edit is an error naming the line, and does not count as read
        Files.writeString(f, b64(range(0)) + "\nhalf-pasted\n");
        IOException e = assertThrows(IOException.class, () -> file.readIfChanged(warnings::add));
        assertTrue(e.getMessage().startsWith(f + ":2: not a mesh secret"), e.getMessage());
        assertFalse(e.getMessage().contains(b64(range(0))));
        Files.delete(f);
        assertThrows(IOException.class, () -> file.readIfChanged(warnings::add));
        // back to what was read last: nothing to do; forget() makes it read anyway (SIGHUP)
        Files.writeString(f, b64(range(0)) + "\n" + b64(fill(0x42)) + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        assertTrue(file.readIfChanged(warnings::add).isEmpty());
        file.forget();
        assertEquals(List.of("1f8e543a", "b2366f45"), file.readIfChanged(warnings::add).orElseThrow().ids());
        assertTrue(warnings.isEmpty(), warnings.toString());
        Files.writeString(f, b64(fill(0x42)) + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        assertEquals(List.of("b2366f45"), file.readIfChanged(warnings::add).orElseThrow().ids());
        assertEquals(1, warnings.size(), "loose permissions warned about");
    }

    @Test
    void theSameSecretTwiceIsRefused(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("mesh.psk");
        Files.writeString(f, b64(range(0)) + "\n" + b64(range(0)) + "\n");
        IOException e = assertThrows(IOException.class, () -> new MeshSecretsFile(f).readIfChanged(w -> { }));
        assertEquals(f + ":2: the same secret twice (generation 1f8e543a)", e.getMessage());
        Files.writeString(f, "x".repeat(MeshSecrets.MAX_FILE_BYTES + 1));
        assertThrows(IOException.class, () -> new MeshSecretsFile(f).readIfChanged(w -> { }));
    }

    @Test
    void theKeyringDerivesEachGenerationsKeyAndForgetsReplacedOnes() {
        MeshKeyring ring = MeshKeyring.empty();
        byte[] a = fill(0x11);
        byte[] b = HexFormat.of().parseHex("202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f");
        assertEquals(List.of(), ring.ids());
        assertTrue(ring.psks(List.of("1f8e543a"), a, b).isEmpty());
        ring.replace(new MeshSecrets(List.of(new MeshSecret(range(0)), new MeshSecret(fill(0x42)))));
        assertEquals(List.of("1f8e543a", "b2366f45"), ring.ids());
        List<byte[]> psks = ring.psks(List.of("b2366f45", "1f8e543a"), a, b);
        assertEquals(2, psks.size());
        assertArrayEquals(MeshPsk.derive(fill(0x42), a, b), psks.get(0));
        assertArrayEquals(MeshPsk.derive(range(0), b, a), psks.get(1));
        MeshSecrets replaced = new MeshSecrets(List.of(new MeshSecret(fill(0x42))));
        ring.replace(replaced);
        assertEquals(1, ring.psks(List.of("b2366f45", "1f8e543a"), a, b).size(), "a generation no longer held is left out");
        ring.replace(null);
        assertEquals(List.of(), ring.ids());
    }
}
