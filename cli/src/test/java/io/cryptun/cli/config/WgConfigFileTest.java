package io.cryptun.cli.config;

import static io.cryptun.cli.config.TestKeys.PRIV1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WgConfigFileTest {
    private static final String VALID = "[Interface]\nPrivateKey = " + PRIV1 + "\n[Peer]\nPublicKey = " + TestKeys.PUB2
            + "\nAllowedIPs = 10.1.2.3/8\n";

    @TempDir
    Path dir;

    @Test
    void readsAPrivateFileWithoutPermissionWarnings() throws Exception {
        Path file = write("wg0.conf", VALID, "rw-------");
        List<String> warnings = new ArrayList<>();
        WgConfig c = WgConfig.parse(file, warnings::add);
        assertArrayEquals(TestKeys.bytes(PRIV1), c.iface().privateKey());
        assertEquals(List.of(file + ":5: warning: AllowedIPs entry '10.1.2.3/8' has host bits set; it means 10.0.0.0/8"), warnings);
        assertEquals(List.of(), ConfigFilePermissions.warnings(file));
    }

    @Test
    void warnsWhenOthersMayReadOrWrite() throws Exception {
        Path file = write("wg0.conf", "[Interface]\nPrivateKey = " + PRIV1 + "\n", "rw-r--r--");
        List<String> warnings = new ArrayList<>();
        WgConfig.parse(file, warnings::add);
        assertEquals(List.of(file + ": warning: readable by group and others (mode 0644) although it holds a private key;"
                + " run chmod 600 on it"), warnings);

        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw----"));
        assertEquals(List.of(
                file + ": warning: readable by group (mode 0660) although it holds a private key; run chmod 600 on it",
                file + ": warning: writable by group (mode 0660), who can change its keys and commands; run chmod 600 on it"),
                ConfigFilePermissions.warnings(file));

        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r------w-"));
        assertEquals(List.of(
                file + ": warning: writable by others (mode 0402), who can change its keys and commands; run chmod 600 on it"),
                ConfigFilePermissions.warnings(file));
    }

    @Test
    void missingFileIsNamed() {
        Path file = dir.resolve("nope.conf");
        ConfigException e = assertThrows(ConfigException.class, () -> WgConfig.parse(file));
        assertEquals(file + ": no such file", e.getMessage());
        assertEquals(OptionalInt.empty(), e.line());
        assertEquals(List.of(), ConfigFilePermissions.warnings(file));
    }

    @Test
    void directoryIsNamed() {
        ConfigException e = assertThrows(ConfigException.class, () -> WgConfig.parse(dir));
        assertEquals(dir + ": is a directory, not a configuration file", e.getMessage());
    }

    @Test
    void invalidUtf8IsReportedOnItsLine() throws Exception {
        byte[] head = ("[Interface]\nPrivateKey = " + PRIV1 + "\n# caf").getBytes(StandardCharsets.UTF_8);
        byte[] bytes = new byte[head.length + 2];
        System.arraycopy(head, 0, bytes, 0, head.length);
        bytes[head.length] = (byte) 0xe9; // Latin-1 é: not UTF-8
        bytes[head.length + 1] = '\n';
        Path file = dir.resolve("wg1.conf");
        Files.write(file, bytes);
        ConfigException e = assertThrows(ConfigException.class, () -> WgConfig.parse(file));
        assertEquals(file + ":3: not valid UTF-8 text", e.getMessage());
    }

    @Test
    void utf8WithBomAndCrlfFromAFile() throws Exception {
        Path file = write("wg2.conf", "\uFEFF[Interface]\r\nPrivateKey = " + PRIV1 + "\r\nPostUp = echo caf\u00e9\r\n", "rw-------");
        assertEquals(List.of("echo caf\u00e9"), WgConfig.parse(file).iface().postUp());
    }

    @Test
    void oversizedFileIsRefusedWithoutReadingItAll() throws Exception {
        Path file = dir.resolve("big.conf");
        try (var out = Files.newOutputStream(file)) {
            byte[] chunk = new byte[1 << 20];
            java.util.Arrays.fill(chunk, (byte) '\n');
            for (int i = 0; i <= WgConfigParser.MAX_FILE_BYTES >> 20; i++) {
                out.write(chunk);
            }
        }
        ConfigException e = assertThrows(ConfigException.class, () -> WgConfig.parse(file));
        assertEquals(file + ": larger than 16 MiB; not a WireGuard configuration", e.getMessage());
    }

    @Test
    void unreadableFileIsNamed() throws Exception {
        Path file = write("wg3.conf", VALID, "---------");
        assumeFalse(Files.isReadable(file), "root reads any file");
        ConfigException e = assertThrows(ConfigException.class, () -> WgConfig.parse(file));
        assertEquals(file + ": permission denied", e.getMessage());
    }

    private Path write(String name, String text, String perms) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(perms));
        return file;
    }
}
