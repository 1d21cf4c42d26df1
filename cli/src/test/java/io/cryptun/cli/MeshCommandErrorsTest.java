package io.cryptun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * `cryptun mesh` with bad options ends with one line naming the option and the problem, exit code
 * 1, no stack trace, and nothing created: the options are checked before the key file and the
 * device exist.
 */
class MeshCommandErrorsTest {
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
        "--crypt|maybe|require, prefer or off",
        "--tun-out|v4any|--tun-out v4any",
        "--tun-out|v4any=10.0.0.0/8,tableRule=60/70|above 70",
        "--tun-out|v4any=10.0.0.0/8,tableRule=32765/7171|--tun-out v4any=10.0.0.0/8,tableRule=32765/7171: tableRule table 7171 is outside bmx7's range 1..254",
        "--tun-out|v4any=10.0.0.0/8,rating=67008864|rating 67008864 is outside bmx7's range 0..67008863",
        "--tun-in|gw=10.99.0.0/16,bandwidth=71|--tun-in gw=10.99.0.0/16,bandwidth=71: bandwidth 71 is outside bmx7's range 72..",
        "--tun-in|gw=10.99.0.1/16|host bits",
        "--tun4|2001:db8::1/128|IPv4",
        "--tun6|10.0.0.1/32|IPv6",
        "--allow-node|1234|node id",
        "--listen-port|70000|listen-port",
        "--feed|files|--feed",
        "--sms-name|no/slash|sms name"})
    void badOptionsEndWithOneLine(String option, String value, String expected, @TempDir Path dir) {
        Path key = dir.resolve("k");
        List<String> args = new ArrayList<>(List.of("mesh", "ctmsbad0", "--bmx7-dir", dir.toString(),
                "--private-key-file", key.toString(), option, value));
        CommandRunner.Result r = CommandRunner.run("", args.toArray(new String[0]));
        assertEquals(1, r.exitCode(), r.stderr());
        assertTrue(r.stderr().contains(expected), r.stderr());
        assertEquals(1, r.stderr().strip().lines().count(), "one line: " + r.stderr());
        assertFalse(r.stderr().contains("\tat "), "no stack trace");
        assertFalse(Files.exists(key), "nothing created");
    }

    @Test
    void aSearchNameUsedTwiceIsRefused(@TempDir Path dir) {
        CommandRunner.Result r = CommandRunner.run("", "mesh", "ctmsbad0", "--bmx7-dir", dir.toString(),
                "--private-key-file", dir.resolve("k").toString(), "--tun-out", "v4any=10.0.0.0/8",
                "--tun-out", "v4any=10.1.0.0/16");
        assertEquals(1, r.exitCode(), r.stderr());
        assertTrue(r.stderr().contains("used twice"), r.stderr());
    }

    @Test
    void searchesWhoseTablesBmx7CannotPairAreRefused(@TempDir Path dir) {
        CommandRunner.Result r = CommandRunner.run("", "mesh", "ctmsbad0", "--bmx7-dir", dir.toString(),
                "--private-key-file", dir.resolve("k").toString(), "--tun-out", "v4any=10.0.0.0/8",
                "--tun-out", "v4b=10.1.0.0/16,tableRule=32765/172");
        assertEquals(1, r.exitCode(), r.stderr());
        assertTrue(r.stderr().contains("bmx7 combines each table with one rule preference only"), r.stderr());
        assertFalse(Files.exists(dir.resolve("k")), "nothing created");
    }

    @Test
    void theKeySourcesExcludeEachOther(@TempDir Path dir) {
        CommandRunner.Result r = CommandRunner.run("", "mesh", "ctmsbad0", "--bmx7-dir", dir.toString(),
                "--private-key-file", dir.resolve("k").toString(), "--key-from-bmx7", dir.resolve("rsa.der").toString());
        assertEquals(1, r.exitCode(), r.stderr());
        assertEquals("--key-from-bmx7 and --private-key-file exclude each other", lastLine(r));
        assertFalse(Files.exists(dir.resolve("k")));
    }

    @Test
    void aBadMeshSecretFileOrBmx7KeyEndsWithOneLineAndNoSecret(@TempDir Path dir) throws Exception {
        Path psk = dir.resolve("mesh.psk");
        Files.writeString(psk, "0123456789012345678901234567890123456789012=\nthis is not a secret\n");
        CommandRunner.Result r = CommandRunner.run("", "mesh", "ctmsbad0", "--bmx7-dir", dir.toString(),
                "--private-key-file", dir.resolve("k").toString(), "--mesh-psk-file", psk.toString());
        assertEquals(1, r.exitCode(), r.stderr());
        assertTrue(lastLine(r).startsWith(psk + ":1: not a mesh secret"), r.stderr());
        assertFalse(r.stderr().contains("0123456789"), "the secret is never printed");
        assertFalse(Files.exists(dir.resolve("k")), "nothing created");

        CommandRunner.Result missing = CommandRunner.run("", "mesh", "ctmsbad0", "--bmx7-dir", dir.toString(),
                "--mesh-psk-file", dir.resolve("none.psk").toString(), "--private-key-file", dir.resolve("k").toString());
        assertTrue(lastLine(missing).contains("none.psk: cannot read the mesh secret file"), missing.stderr());

        Path der = dir.resolve("rsa.der");
        Files.write(der, new byte[] {0x30, 0x03, 0x02, 0x01, 0x00});
        CommandRunner.Result bad = CommandRunner.run("", "mesh", "ctmsbad0", "--bmx7-dir", dir.toString(),
                "--key-from-bmx7", der.toString());
        assertEquals(1, bad.exitCode(), bad.stderr());
        assertTrue(lastLine(bad).startsWith("--key-from-bmx7: " + der + ": not a bmx7 node key"), bad.stderr());
    }

    private static String lastLine(CommandRunner.Result r) {
        List<String> lines = r.stderr().strip().lines().toList();
        assertFalse(r.stderr().contains("\tat "), "no stack trace");
        return lines.get(lines.size() - 1);
    }
}
