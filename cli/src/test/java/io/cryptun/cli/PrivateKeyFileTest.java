package io.cryptun.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.noise.crypto.Keys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrivateKeyFileTest {
    @Test
    void aMissingKeyIsCreatedOwnerOnlyInWgGenkeyFormatAndReadBack(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("etc/cryptun/ct0.key");
        PrivateKeyFile.Loaded first = PrivateKeyFile.loadOrCreate(f);
        assertTrue(first.created());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f.getParent())));
        String text = Files.readString(f, StandardCharsets.US_ASCII);
        assertEquals(Keys.toBase64(first.privateKey()) + "\n", text);
        PrivateKeyFile.Loaded again = PrivateKeyFile.loadOrCreate(f);
        assertFalse(again.created());
        assertArrayEquals(first.privateKey(), again.privateKey());
        try (var s = Files.list(f.getParent())) {
            assertEquals(1, s.count(), "no temporary file left");
        }
    }

    @Test
    void aKeyOthersCanReadIsRefused(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("k");
        PrivateKeyFile.loadOrCreate(f);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        UserException e = assertThrows(UserException.class, () -> PrivateKeyFile.loadOrCreate(f));
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
    }

    @Test
    void aBrokenKeyFileIsRefusedWithoutShowingItsContent(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("k");
        String secretish = "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2U";
        Files.writeString(f, secretish + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        UserException e = assertThrows(UserException.class, () -> PrivateKeyFile.loadOrCreate(f));
        assertFalse(e.getMessage().contains(secretish.substring(0, 10)), e.getMessage());
        assertTrue(e.getMessage().contains(f.toString()));
    }
}
