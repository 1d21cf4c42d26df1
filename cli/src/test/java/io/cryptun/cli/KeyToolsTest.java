package io.cryptun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.noise.crypto.Keys;
import io.cryptun.testkit.NetnsAssumptions;
import io.cryptun.testkit.Processes;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** cryptun genkey/pubkey/genpsk are interchangeable with wg's. */
class KeyToolsTest {

    @Test
    void pubkeyEqualsWgPubkeyOnHundredRandomKeys() throws Exception {
        NetnsAssumptions.assumeCommand("wg");
        SecureRandom r = new SecureRandom();
        for (int i = 0; i < 100; i++) {
            String priv;
            if (i % 2 == 0) {
                // a key as wg genkey makes it
                priv = Processes.run("wg", "genkey").requireSuccess().stdout().trim();
            } else {
                // raw random bytes, not clamped: both must clamp the same way
                byte[] k = new byte[32];
                r.nextBytes(k);
                priv = Base64.getEncoder().encodeToString(k);
            }
            String theirs = wgPubkey(priv + "\n");
            CommandRunner.Result ours = CommandRunner.run(priv + "\n", "pubkey");
            assertEquals(0, ours.exitCode(), ours.stderr());
            assertEquals(theirs, ours.stdout(), "pubkey of key " + i);
        }
    }

    @Test
    void pubkeyRefusesWhatWgRefuses() throws Exception {
        NetnsAssumptions.assumeCommand("wg");
        String good = Processes.run("wg", "genkey").requireSuccess().stdout().trim();
        String[] bad = {"", "short\n", good.substring(0, 43) + "\n", good + "x\n", "!" + good.substring(1) + "\n",
            good.substring(0, 42) + "B=\n"};
        for (String in : bad) {
            CommandRunner.Result ours = CommandRunner.run(in, "pubkey");
            assertNotEquals(0, ours.exitCode(), "accepted " + in);
            assertFalse(ours.stdout().contains("="), "printed a key for bad input " + in);
            assertTrue(ours.stderr().startsWith("pubkey: "), ours.stderr());
            assertEquals(1, ours.stderr().strip().lines().count(), "one line: " + ours.stderr());
            assertEquals(1, wgPubkeyExit(in), "wg accepted " + in);
        }
        // trailing whitespace is fine for both
        assertEquals(wgPubkey(good + " \n\n"), CommandRunner.run(good + " \n\n", "pubkey").stdout());
    }

    @Test
    void genkeyAndGenpskGiveDistinctWgCompatibleKeys() throws Exception {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            String k = CommandRunner.run("", "genkey").stdout();
            assertTrue(k.endsWith("\n"));
            byte[] raw = Keys.fromBase64(k.trim());
            assertEquals(0, raw[0] & 7, "clamped");
            assertEquals(0x40, raw[31] & 0xc0, "clamped");
            assertTrue(seen.add(k));
            String p = CommandRunner.run("", "genpsk").stdout();
            assertEquals(32, Keys.fromBase64(p.trim()).length);
            assertTrue(seen.add(p));
        }
        if (Processes.findOnPath("wg").isPresent()) {
            // wg accepts our private key
            String k = CommandRunner.run("", "genkey").stdout();
            assertEquals(0, wgPubkeyExit(k));
        }
    }

    private static String wgPubkey(String stdin) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of("wg", "pubkey")).start();
        try (OutputStream o = p.getOutputStream()) {
            o.write(stdin.getBytes(StandardCharsets.US_ASCII));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "wg pubkey failed");
        return out;
    }

    private static int wgPubkeyExit(String stdin) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of("wg", "pubkey")).redirectErrorStream(true).start();
        try (OutputStream o = p.getOutputStream()) {
            o.write(stdin.getBytes(StandardCharsets.US_ASCII));
        }
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        return p.exitValue();
    }

}
