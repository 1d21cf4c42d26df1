package io.cryptun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * `cryptun up` with a broken config file ends with one line naming the file, the line and the
 * problem, a non-zero exit code, and no stack trace; nothing is created (the config is read
 * before any device exists, so this runs without privileges).
 */
class UpConfigErrorsTest {
    private static final String PRIV = FixedKeys.PRIV;
    private static final String PUB = FixedKeys.PUB;

    static Stream<Arguments> broken() {
        return Stream.of(
                Arguments.of("bad private key", "[Interface]\nPrivateKey = abc\n", 2, "PrivateKey"),
                Arguments.of("bad public key", "[Interface]\nPrivateKey = " + PRIV + "\n\n[Peer]\nPublicKey = "
                        + PUB.substring(1) + "\nAllowedIPs = 10.0.0.0/8\n", 5, "PublicKey"),
                Arguments.of("unknown key", "[Interface]\nPrivateKey = " + PRIV + "\nListenPrt = 5\n", 3, "ListenPrt"),
                Arguments.of("unknown section", "[Interface]\nPrivateKey = " + PRIV + "\n[Peers]\n", 3, "Peers"),
                Arguments.of("bad endpoint", "[Interface]\nPrivateKey = " + PRIV + "\n[Peer]\nPublicKey = " + PUB
                        + "\nEndpoint = 1.2.3.4\n", 5, "Endpoint"),
                Arguments.of("bad endpoint port", "[Interface]\nPrivateKey = " + PRIV + "\n[Peer]\nPublicKey = " + PUB
                        + "\nEndpoint = [fd00::1]:99999\n", 5, "Endpoint"),
                Arguments.of("bad allowed ip", "[Interface]\nPrivateKey = " + PRIV + "\n[Peer]\nPublicKey = " + PUB
                        + "\nAllowedIPs = 10.0.0.0/33\n", 5, "AllowedIPs"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("broken")
    void oneLineNamingFileLineAndProblem(String what, String content, int line, String keyword, @TempDir Path dir)
            throws Exception {
        Path conf = dir.resolve("wg9.conf");
        Files.writeString(conf, content);
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-------"));
        CommandRunner.Result r = CommandRunner.run("", "up", "ctbad0", "--config", conf.toString());
        assertNotEquals(0, r.exitCode());
        String err = r.stderr().strip();
        assertEquals(1, err.lines().count(), "exactly one line: " + err);
        assertTrue(err.startsWith(conf + ":" + line + ": "), err);
        assertTrue(err.contains(keyword), err);
        assertFalse(err.contains("Exception"), err);
        assertFalse(err.contains(PRIV), "the private key leaked: " + err);
    }

    @ParameterizedTest(name = "missing file")
    @MethodSource("missing")
    void missingFile(Path p) {
        CommandRunner.Result r = CommandRunner.run("", "up", "ctbad0", "--config", p.toString());
        assertNotEquals(0, r.exitCode());
        assertEquals(1, r.stderr().strip().lines().count(), r.stderr());
        assertTrue(r.stderr().contains(p.toString()), r.stderr());
    }

    static Stream<Path> missing() {
        return Stream.of(Path.of("/nonexistent/cryptun/wg0.conf"));
    }
}
