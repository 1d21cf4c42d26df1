package io.cryptun.cli.config;

import static io.cryptun.cli.config.TestKeys.PRIV1;
import static io.cryptun.cli.config.TestKeys.PSK;
import static io.cryptun.cli.config.TestKeys.PUB1;
import static io.cryptun.cli.config.TestKeys.PUB2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compares with the real tools: {@code wg setconf} on a device that does not exist parses the
 * whole file first, so "Configuration parsing error" / "Invalid configuration" tell its verdict
 * without touching any interface; {@code wg-quick strip} shows which keys wg-quick takes for itself.
 */
@EnabledIf("toolsInstalled")
class WgToolCrossCheckTest {
    private static final String WG = "/usr/bin/wg";
    private static final String WG_QUICK = "/usr/bin/wg-quick";
    /** Never created: wg only gets as far as failing to reach it. */
    private static final String NO_SUCH_DEVICE = "cryptuncfg0";
    private static final String HEAD = "[Interface]\nPrivateKey = " + PRIV1 + "\n";
    private static final String PEER = HEAD + "[Peer]\nPublicKey = " + PUB2 + "\n";

    @TempDir
    Path dir;

    static boolean toolsInstalled() {
        return Files.isExecutable(Path.of(WG)) && Files.isExecutable(Path.of(WG_QUICK));
    }

    @Test
    void acceptsWhatWgAccepts() throws Exception {
        String[] accepted = {
            HEAD,
            "  [ interface ]  # c\r\n privatekey=" + PRIV1 + "#c\r\n LISTENPORT\t= 5 18 20\r\n",
            HEAD + "ListenPort = 0\nFwMark = 0xffffffff\n",
            HEAD + "FwMark = off\n",
            HEAD + "FwMark = 00042\n",
            HEAD + "ListenPort = 00080\n",
            PEER + "PresharedKey = " + PSK + "\nAllowedIPs = 10.0.0.0 / 8 , fd00::/64,192.168.1.1\nAllowedIPs = ::/0\n",
            PEER + "Endpoint = [2001:db8::1]:51820\nPersistentKeepalive = off\n",
            PEER + "Endpoint = 192.0.2.1:00001\nPersistentKeepalive = 65535\n",
            PEER + "Endpoint = [ fe80::1 ] : 1\nPersistent Keepalive = 0\n",
            PEER + "AllowedIPs = 10.1.2.3/8\n",
            "[Peer]\nPublicKey = " + PUB2 + "\n" + HEAD,
            PEER + "[Peer]\nPublicKey = " + PUB1 + "\nEndpoint = [::ffff:192.0.2.1]:9\n",
        };
        for (String text : accepted) {
            assertEquals("accepts", wgVerdict(text), "wg on " + text.replace("\n", "\\n"));
            WgConfig.parse("x.conf", text);
        }
    }

    @Test
    void refusesWhatWgRefuses() throws Exception {
        String[] refused = {
            "[Interface]\nPrivateKey = abc\n",
            "[Interface]\nPrivateKey = " + PRIV1.substring(1) + "\n",
            "[Interface]\nPrivateKey = " + PRIV1.substring(0, 42) + "V=\n",
            PEER.replace(PUB2, PUB2.substring(0, 43) + "A"),
            HEAD + "ListenPrt = 1\n",
            HEAD + "PublicKey = " + PUB2 + "\n",
            HEAD + "[Peers]\n",
            "ListenPort = 1\n" + HEAD,
            HEAD + "ListenPort =\n",
            HEAD + "FwMark = 0X10\n",
            HEAD + "FwMark = 0x100000000\n",
            HEAD + "FwMark = -1\n",
            HEAD + "ListenPort 51820\n",
            PEER + "PersistentKeepalive = 65536\n",
            PEER + "PersistentKeepalive = on\n",
            PEER + "Endpoint = 192.0.2.1\n",
            PEER + "Endpoint = 192.0.2.1:\n",
            PEER + "Endpoint = [2001:db8::1:51820\n",
            PEER + "Endpoint = [2001:db8::1]51820\n",
            PEER + "AllowedIPs = 10.0.0.0/33\n",
            PEER + "AllowedIPs = fd00::/129\n",
            PEER + "AllowedIPs = 10.0.0.0/8,\n",
            PEER + "AllowedIPs = 10.0.0.0/8,,fd00::/8\n",
            PEER + "AllowedIPs = 10.0.0/8\n",
            PEER + "AllowedIPs =\n",
            HEAD + "[Peer]\nAllowedIPs = 10.0.0.0/8\n",
        };
        for (String text : refused) {
            assertEquals("refuses", wgVerdict(text), "wg on " + text.replace("\n", "\\n"));
            try {
                WgConfig.parse("x.conf", text);
                fail("accepted what wg refuses: " + text);
            } catch (ConfigException expected) {
                WgConfigErrorTest.assertNoSecret(expected.getMessage());
            }
        }
    }

    /** Where wg lets a mistake through, we say no; each case is checked to still pass wg. */
    @Test
    void refusesSomeMistakesWgLetsThrough() throws Exception {
        String[] laxInWg = {
            HEAD + "ListenPort = 65536\n",                     // getaddrinfo wraps it to port 0
            HEAD + "ListenPort = https\n",                     // a service name
            HEAD + "[Interface]\nListenPort = 1\n",            // a second [Interface]
            HEAD + "ListenPort = 1\nListenPort = 2\n",          // the last one wins in wg
            PEER + "[Peer]\nPublicKey = " + PUB2 + "\n",        // the same peer twice
            PEER + "Endpoint = 192.0.2.1:0\n",                 // nowhere to send to
            PEER + "Endpoint = 192.0.2.1:65536\n",             // wraps to port 0 as well
            PEER + "Endpoint = 2001:db8::1:51820\n",           // ambiguous without brackets
            "[Interface]\nListenPort = 1\n",                   // no private key: nothing to bring up
        };
        for (String text : laxInWg) {
            assertEquals("accepts", wgVerdict(text), "wg on " + text.replace("\n", "\\n"));
            try {
                WgConfig.parse("x.conf", text);
                fail("accepted: " + text);
            } catch (ConfigException expected) {
                WgConfigErrorTest.assertNoSecret(expected.getMessage());
            }
        }
    }

    @Test
    void wgQuickStripsExactlyTheKeysKeptAsWgQuickValues() throws Exception {
        String full = String.join("\n",
                "[Interface]",
                "address = 10.0.0.7/24",
                "Address = fd00::7/64, 10.1.0.1",
                "PrivateKey = " + PRIV1,
                "ListenPort = 51820",
                "mtu = 1420",
                "DNS = 1.1.1.1, example.com",
                "table = off",
                "PreUp = echo pre",
                "postup = echo post # kept",
                "PreDown = echo predown",
                "PostDown = echo postdown",
                "SaveConfig = false",
                "FwMark = 0x10",
                "[Peer]",
                "PublicKey = " + PUB2,
                "PresharedKey = " + PSK,
                "AllowedIPs = 10.0.0.2/32",
                "Endpoint = 192.0.2.1:51820",
                "");
        Path file = dir.resolve("wg0.conf");
        Files.writeString(file, full);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        Result strip = run(List.of(WG_QUICK, "strip", file.toString()), null);
        assertEquals(0, strip.exit, strip.stderr);

        WgConfig ours = WgConfig.parse("wg0.conf", full);
        WgConfig stripped = WgConfig.parse("stripped", strip.stdout);
        InterfaceSection i = ours.iface();
        assertEquals(InterfaceSection.of(i.privateKey(), i.listenPort(), i.fwMark()), stripped.iface(),
                "wg-quick left a key in that we treat as wg-quick's, or took one we treat as wg's: " + strip.stdout);
        assertEquals(ours.peers(), stripped.peers());
        assertEquals(3, i.addresses().size());
        assertEquals(List.of("echo post # kept"), i.postUp());
    }

    @Test
    void warnsAboutAWorldReadableFileLikeWgQuick() throws Exception {
        Path open = Files.createDirectory(dir.resolve("etc"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path file = open.resolve("wg0.conf");
        Files.writeString(file, HEAD);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        Result strip = run(List.of(WG_QUICK, "strip", file.toString()), null);
        assertTrue(strip.stderr.contains("is world accessible"), strip.stderr);
        List<String> ours = new ArrayList<>();
        WgConfig.parse(file, ours::add);
        assertEquals(1, ours.size(), ours.toString());

        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        strip = run(List.of(WG_QUICK, "strip", file.toString()), null);
        assertEquals("", strip.stderr.strip());
        assertEquals(List.of(), ConfigFilePermissions.warnings(file));
    }

    private String wgVerdict(String text) throws Exception {
        Path file = dir.resolve("check.conf");
        Files.writeString(file, text);
        Result r = run(List.of(WG, "setconf", NO_SUCH_DEVICE, file.toString()), null);
        if (r.stderr.contains("Configuration parsing error") || r.stderr.contains("Invalid configuration")) {
            return "refuses";
        }
        assertTrue(r.exit != 0 && r.stderr.contains("Unable to modify interface"), "unexpected wg outcome: " + r.stderr);
        return "accepts";
    }

    private record Result(int exit, String stdout, String stderr) {
    }

    private static Result run(List<String> command, String stdin) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("WG_ENDPOINT_RESOLUTION_RETRIES", "0");
        Process p = pb.start();
        try {
            if (stdin != null) {
                p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            p.getOutputStream().close();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                fail("no answer from " + command);
            }
            return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                    new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        } finally {
            p.destroyForcibly();
        }
    }
}
