package io.cryptun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The command line as a user meets it: a word that reads as a command is refused with a
 * suggestion instead of becoming an interface, every subcommand answers --help, and arguments are
 * checked before any device exists (these run in-process, as the caller: a device made by mistake
 * would show up as "interface ... stopped" in the output, or as the device itself).
 */
class CommandLineTest {
    private static final String PRIV = FixedKeys.PRIV;
    private static final String PUB = FixedKeys.PUB;

    static Stream<Arguments> commandWords() {
        return Stream.of(
                Arguments.of("version", "cryptun --version"),
                Arguments.of("shwo", "cryptun show"),
                Arguments.of("genkeys", "cryptun genkey"),
                Arguments.of("Show", "cryptun show"),
                Arguments.of("UP", "cryptun up"),
                Arguments.of("status", "cryptun show"),
                Arguments.of("stop", "wg-quick down IFNAME"));
    }

    @ParameterizedTest(name = "cryptun {0}")
    @MethodSource("commandWords")
    void aCommandLikeWordIsRefusedWithASuggestion(String word, String suggestion) {
        CommandRunner.Result r = CommandRunner.run("", word);
        assertEquals(2, r.exitCode(), r.stderr());
        assertTrue(r.stderr().startsWith("cryptun: '" + word + "' is not a cryptun command. Did you mean: " + suggestion),
                r.stderr());
        assertFalse(r.stderr().contains("stopped"), r.stderr());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"wg0", "mesh0", "ct0", "home-vpn", "wg_office", "home", "office", "vpn", "tun", "mullvad", "demos1"})
    void interfaceNamesAreNotTakenForCommands(String name) {
        Set<String> commands = Main.commandLine().getSubcommands().keySet();
        assertEquals(java.util.Optional.empty(), CommandWords.refusal(name, commands));
    }

    @Test
    void editDistanceCountsATranspositionAsOne() {
        assertEquals(1, CommandWords.distance("shwo", "show"));
        assertEquals(1, CommandWords.distance("genkeys", "genkey"));
        assertEquals(3, CommandWords.distance("home", "demo"));
    }

    static Stream<String> subcommands() {
        return Main.commandLine().getSubcommands().keySet().stream();
    }

    @ParameterizedTest(name = "cryptun {0} --help")
    @MethodSource("subcommands")
    void everySubcommandAnswersHelp(String name) {
        for (String flag : List.of("--help", "-h")) {
            CommandRunner.Result r = CommandRunner.run("", name, flag);
            assertEquals(0, r.exitCode(), name + " " + flag + ": " + r.stderr());
            assertEquals("", r.stderr(), name + " " + flag);
            assertTrue(r.stdout().contains("Usage: cryptun " + name), r.stdout());
        }
    }

    @Test
    void anUnresolvableEndpointIsReportedWithItsLineBeforeAnyDevice(@TempDir Path dir) throws Exception {
        Path conf = writeConf(dir, "[Interface]\nPrivateKey = " + PRIV + "\n\n[Peer]\nPublicKey = " + PUB
                + "\nEndpoint = no-such-host.invalid:51820\nAllowedIPs = 10.0.0.2/32\n");
        CommandRunner.Result r = CommandRunner.run("", "up", "ctbad1", "--config", conf.toString());
        assertEquals(1, r.exitCode(), r.stderr());
        assertEquals(conf + ":6: cannot resolve endpoint 'no-such-host.invalid:51820'", r.stderr().strip());
    }

    @Test
    void aMetricsAddressThatIsNotLoopbackIsRefusedBeforeAnyDevice(@TempDir Path dir) throws Exception {
        Path conf = writeConf(dir, "[Interface]\nPrivateKey = " + PRIV + "\n");
        CommandRunner.Result r = CommandRunner.run("", "up", "ctbad2", "--config", conf.toString(),
                "--metrics", "192.0.2.1:9586");
        assertEquals(1, r.exitCode(), r.stderr());
        assertEquals("--metrics 192.0.2.1:9586: metrics are served on loopback only; 192.0.2.1 is not a loopback address",
                r.stderr().strip());
        assertFalse(Files.exists(Path.of("/sys/class/net/ctbad2")));
    }

    @Test
    void anUnknownCryptoBackendIsRefusedBeforeAnyDevice(@TempDir Path dir) throws Exception {
        Path conf = writeConf(dir, "[Interface]\nPrivateKey = " + PRIV + "\n");
        CommandRunner.Result r = CommandRunner.run("", "up", "ctbad3", "--config", conf.toString(), "--crypto", "rot13");
        assertEquals(1, r.exitCode(), r.stderr());
        assertTrue(r.stderr().startsWith("--crypto rot13: unknown crypto backend 'rot13'"), r.stderr());
        assertEquals(1, r.stderr().strip().lines().count(), r.stderr());
    }

    @Test
    void anOpensslBackendThatCannotRunHereIsRefusedWithTheReasonBeforeAnyDevice(@TempDir Path dir) throws Exception {
        // on the build's JDK 17 (no java.lang.foreign); OpenSslBackendIT covers a JDK 22+ without libcrypto
        org.junit.jupiter.api.Assumptions.assumeFalse(io.cryptun.noise.crypto.OpenSslTransportCipher.isAvailable(),
                "the openssl backend runs on this JVM");
        Path conf = writeConf(dir, "[Interface]\nPrivateKey = " + PRIV + "\n");
        CommandRunner.Result r = CommandRunner.run("", "up", "ctbad5", "--config", conf.toString(), "--crypto", "openssl");
        assertEquals(1, r.exitCode(), r.stderr());
        assertEquals("--crypto openssl: " + io.cryptun.noise.crypto.OpenSslTransportCipher.unavailableReason(),
                r.stderr().strip());
        assertFalse(Files.exists(Path.of("/sys/class/net/ctbad5")));
    }

    @Test
    void theBackgroundFormChecksItsArgumentsBeforeStartingAnything() {
        CommandRunner.Result r = CommandRunner.run("", "--metrics", "localhost", "ctbad4");
        assertEquals(1, r.exitCode(), r.stderr());
        assertEquals("--metrics localhost: metrics address must be HOST:PORT, e.g. 127.0.0.1:9586", r.stderr().strip());
    }

    private static Path writeConf(Path dir, String content) throws Exception {
        Path conf = dir.resolve("wg9.conf");
        Files.writeString(conf, content);
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-------"));
        return conf;
    }
}
