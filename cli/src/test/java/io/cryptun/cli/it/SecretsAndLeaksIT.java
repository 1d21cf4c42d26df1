package io.cryptun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.cryptun.cli.CommandRunner;
import io.cryptun.cli.uapi.RawUapiClient;
import io.cryptun.noise.crypto.Keys;
import io.cryptun.testkit.ExecResult;
import io.cryptun.testkit.NetnsAssumptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What must never leave cryptun: plaintext on the underlay, and private or pre-shared keys in
 * logs, `cryptun show` output, error messages, files others can read or core files.
 */
@Tag("netns")
class SecretsAndLeaksIT {
    /** ping -p fills each echo payload with this 16-byte pattern. */
    static final String MARKER_HEX = "c7a1e5c0ffee15deadbeef0badf00d42";
    static final int PINGS = 20;
    static final int PING_SIZE = 1200;

    /**
     * tcpdump on the underlay veth while pings with a marker payload cross the tunnel: the pings
     * arrive, the underlay carried at least their size in UDP, and no 8-byte window of the marker
     * is in the capture. A second capture on the tunnel interface, where the marker must appear,
     * shows the search would find it.
     */
    @Test
    void theUnderlayCarriesNoPlaintext() throws Exception {
        NetnsAssumptions.assumeNetns();
        NetnsAssumptions.assumeCommand("tcpdump");
        try (TwoHosts hosts = new TwoHosts("cthd")) {
            TestKeys kl = TestKeys.generate();
            TestKeys kr = TestKeys.generate();
            String psk = TestKeys.psk();
            CryptunEndpoint left = new CryptunEndpoint(hosts.left, "cthl" + hosts.tag, kl, hosts.workDir);
            CryptunEndpoint right = new CryptunEndpoint(hosts.right, "cthr" + hosts.tag, kr, hosts.workDir);
            try (left; right) {
                right.start(51821, List.of(new Endpoint.PeerSpec(kl.publicKey(), psk, null, List.of("100.64.0.1/32"), 0)),
                        List.of("100.64.0.2/24"));
                left.start(51820, List.of(new Endpoint.PeerSpec(kr.publicKey(), psk, "198.18.0.2:51821",
                        List.of("100.64.0.2/32"), 0)), List.of("100.64.0.1/24"));

                Path underlay = hosts.workDir.resolve("underlay.pcap");
                Path tunnel = hosts.workDir.resolve("tunnel.pcap");
                Process capUnderlay = capture(hosts, "ul", "udp", underlay);
                Process capTunnel = capture(hosts, left.ifname(), "icmp", tunnel);
                ExecResult ping = hosts.left.exec(Duration.ofSeconds(60), "ping", "-n", "-c", String.valueOf(PINGS),
                        "-i", "0.05", "-s", String.valueOf(PING_SIZE), "-p", MARKER_HEX, "-W", "5", "100.64.0.2");
                // tcpdump may lag on a busy machine, and what it has not read when stopped is lost
                awaitBytes(tunnel, 2L * PINGS * PING_SIZE);
                awaitBytes(underlay, 2L * PINGS * PING_SIZE);
                stop(capUnderlay);
                stop(capTunnel);
                assertTrue(ping.succeeded(), ping + hosts.logs());
                assertTrue(ping.stdout().contains(PINGS + " received"), ping.stdout());

                RawPcap outer = RawPcap.read(underlay);
                RawPcap inner = RawPcap.read(tunnel);
                byte[] marker = HexFormat.of().parseHex(MARKER_HEX);
                long inside = inner.markerWindows(marker);
                assertTrue(inside >= PINGS, "the marker is visible inside the tunnel (the check works): " + inside
                        + " of " + inner.packets() + " frames");
                // (frames are not packets: with UDP GSO one captured frame holds several datagrams)
                assertTrue(outer.payloadBytes() >= (long) PINGS * PING_SIZE, "the underlay carried the pings: "
                        + outer.payloadBytes() + " bytes");
                long seen = outer.markerWindows(marker);
                System.out.printf("reliability: underlay %d packets, %d bytes captured; plaintext marker windows seen: %d%n",
                        outer.packets(), outer.payloadBytes(), seen);
                assertEquals(0, seen, "plaintext marker on the underlay");
            }
        }
    }

    /**
     * With verbose logging, through handshakes, pings and refused requests that carry the keys
     * (bad UAPI sets, bad config files, bad pubkey input), neither the private keys nor the PSK
     * appear, in base64 or hex or any 16-character piece, in the daemons' logs, in `cryptun show`
     * and `show --json`, or in any error message. wg showconf, which asks for them, does get them.
     */
    @Test
    void keysNeverAppearInLogsShowOrErrors() throws Exception {
        NetnsAssumptions.assumeNetns();
        NetnsAssumptions.assumeCommand("wg");
        try (TwoHosts hosts = new TwoHosts("cths")) {
            TestKeys kl = TestKeys.generate();
            TestKeys kr = TestKeys.generate();
            String psk = TestKeys.psk();
            Secrets secrets = new Secrets(List.of(kl.privateKey(), kr.privateKey(), psk));
            CryptunEndpoint left = new CryptunEndpoint(hosts.left, "ctsl" + hosts.tag, kl, hosts.workDir);
            CryptunEndpoint right = new CryptunEndpoint(hosts.right, "ctsr" + hosts.tag, kr, hosts.workDir);
            try (left; right) {
                right.start(51821, List.of(new Endpoint.PeerSpec(kl.publicKey(), psk, null, List.of("100.64.0.1/32"), 0)),
                        List.of("100.64.0.2/24"));
                left.start(51820, List.of(new Endpoint.PeerSpec(kr.publicKey(), psk, "198.18.0.2:51821",
                        List.of("100.64.0.2/32"), 0)), List.of("100.64.0.1/24"));
                assertTrue(hosts.left.exec("ping", "-n", "-c", "3", "-i", "0.2", "-W", "5", "100.64.0.2").succeeded(),
                        hosts.logs());

                // refused UAPI sets that carry the keys, in every near-miss form
                Path sock = Endpoint.SOCKET_DIR.resolve(right.ifname() + ".sock");
                String privHex = hex(kr.privateKey());
                String pskHex = hex(psk);
                String peerHex = hex(kl.publicKey());
                List<String> badSets = List.of(
                        "private_key=" + privHex.substring(1),
                        "private_key=" + privHex + "0",
                        "private_key=" + privHex.substring(0, 63) + "g",
                        "private_key " + privHex,
                        "private_kee=" + privHex,
                        "public_key=" + peerHex + "\npreshared_key=" + pskHex.substring(2),
                        "public_key=" + peerHex + "\npreshared_key " + pskHex,
                        "public_key=" + peerHex + "\npresharedkey=" + pskHex);
                for (String body : badSets) {
                    RawUapiClient.Reply r = RawUapiClient.exchange(sock, "set=1\n" + body + "\n\n");
                    assertNotEquals(Integer.valueOf(0), r.errno(), () -> "accepted: " + body);
                    secrets.assertAbsent("UAPI reply", r.text());
                }
                // the interface is unchanged and still works
                assertTrue(hosts.right.exec("ping", "-n", "-c", "1", "-W", "5", "100.64.0.1").succeeded(), hosts.logs());

                for (String[] args : List.of(new String[] {"show", right.ifname()}, new String[] {"show", right.ifname(), "--json"},
                        new String[] {"show"}, new String[] {"show", "--json"})) {
                    CommandRunner.Result show = CommandRunner.run("", args);
                    assertEquals(0, show.exitCode(), show.stderr());
                    assertTrue(show.stdout().contains(kl.publicKey()), show.stdout());
                    secrets.assertAbsent("cryptun " + String.join(" ", args), show.stdout() + show.stderr());
                }
                ExecResult wgShow = hosts.right.exec("wg", "show", right.ifname());
                secrets.assertAbsent("wg show", wgShow.stdout());
                ExecResult showconf = hosts.right.exec("wg", "showconf", right.ifname()).requireSuccess();
                assertTrue(showconf.stdout().contains(kr.privateKey()) && showconf.stdout().contains(psk),
                        "wg showconf asks for the keys and gets them (and shows the check would see them)");

                // broken config files holding the keys, for cryptun up, and bad input for pubkey
                for (String conf : brokenConfigs(kr.privateKey(), kl.publicKey(), psk)) {
                    Path f = hosts.workDir.resolve("broken.conf");
                    Files.writeString(f, conf);
                    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
                    // in the test's namespace, so a config wrongly accepted could not touch the host
                    ExecResult up = hosts.left.exec(Duration.ofSeconds(30), CryptunEndpoint.java(), "-jar",
                            CryptunEndpoint.jar().toString(), "up", "cthdx" + hosts.tag, "--config", f.toString());
                    assertNotEquals(0, up.exitCode(), "a broken config was accepted: " + conf);
                    secrets.assertAbsent("cryptun up error", up.stdout() + up.stderr());
                }
                for (String bad : List.of(kr.privateKey().substring(1), kr.privateKey() + "A", privHex,
                        kr.privateKey().substring(0, 42) + "!=")) {
                    CommandRunner.Result pub = CommandRunner.run(bad + "\n", "pubkey");
                    assertNotEquals(0, pub.exitCode(), "pubkey accepted " + bad);
                    secrets.assertAbsent("cryptun pubkey error", pub.stdout() + pub.stderr());
                }

                // and none of it reached the verbose logs
                Thread.sleep(200);
                String leftLog = Files.readString(left.log());
                String rightLog = Files.readString(right.log());
                assertTrue(rightLog.contains("UAPI set refused"), "the refused sets were logged: " + rightLog);
                assertTrue(rightLog.toLowerCase().contains("handshake"), "verbose logging was on: " + rightLog);
                secrets.assertAbsent("left daemon log", leftLog);
                secrets.assertAbsent("right daemon log", rightLog);
            }
        }
    }

    /**
     * `cryptun genkey > file` warns, as wg does, when the file is world-accessible (umask 022),
     * and not under umask 077, where the file is 0600; the UAPI socket cryptun creates is 0600.
     */
    @Test
    void keyFilesAndTheSocketAreNotWorldReadable() throws Exception {
        NetnsAssumptions.assumeNetns();
        try (TwoHosts hosts = new TwoHosts("cthf")) {
            String jar = CryptunEndpoint.jar().toString();
            String java = CryptunEndpoint.java();
            for (String cmd : List.of("genkey", "genpsk")) {
                Path loose = hosts.workDir.resolve(cmd + "-022");
                Path tight = hosts.workDir.resolve(cmd + "-077");
                ExecResult r022 = sh("umask 022; exec '" + java + "' -jar '" + jar + "' " + cmd + " > '" + loose + "'");
                ExecResult r077 = sh("umask 077; exec '" + java + "' -jar '" + jar + "' " + cmd + " > '" + tight + "'");
                assertEquals(0, r022.exitCode(), r022.toString());
                assertEquals(0, r077.exitCode(), r077.toString());
                assertTrue(r022.stderr().contains("Warning: writing to world accessible file."), r022.stderr());
                assertFalse(r077.stderr().contains("Warning"), r077.stderr());
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tight)));
                assertEquals(45, Files.readString(tight).length(), "a base64 key and a newline");
            }

            TestKeys k = TestKeys.generate();
            CryptunEndpoint one = new CryptunEndpoint(hosts.left, "cthf" + hosts.tag, k, hosts.workDir);
            try (one) {
                one.start(51820, List.of(), List.of("100.64.0.1/24"));
                Path sock = Endpoint.SOCKET_DIR.resolve(one.ifname() + ".sock");
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));
                assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(Endpoint.SOCKET_DIR)));
            }
        }
    }

    // ================================================================ helpers

    private static List<String> brokenConfigs(String priv, String peerPub, String psk) {
        return List.of(
                "[Interface]\nPrivateKey = " + priv.substring(1) + "\n",
                "[Interface]\nPrivateKey = " + priv + "x\n",
                "[Interface]\nPrivateKey " + priv + "\n",
                "[Interface]\nPrivateKy = " + priv + "\n",
                "[Interface]\nPrivateKey = " + priv + ", " + priv + "\n",
                "[Interface]\nPrivateKey = " + priv + "\n[Peer]\nPublicKey = " + peerPub + "\nPresharedKey = " + psk.substring(3) + "\n",
                "[Interface]\nPrivateKey = " + priv + "\n[Peer]\nPublicKey = " + psk + psk + "\n",
                "[Interface]\nPrivateKey = " + priv + "\nListenPort = " + priv + "\n");
    }

    private static Process capture(TwoHosts hosts, String ifname, String filter, Path file) throws Exception {
        Path log = hosts.workDir.resolve("tcpdump-" + ifname + ".txt");
        Process p = hosts.left.spawn(List.of("tcpdump", "-i", ifname, "--immediate-mode", "-U", "-n", "-s", "0", "-w", file.toString(), filter), log);
        Capture.awaitListening(p, log);
        return p;
    }

    /** Waits (at most 5 s) until the capture file holds {@code bytes} bytes of frames. */
    private static void awaitBytes(Path pcap, long bytes) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            if (Files.size(pcap) >= 24 && RawPcap.read(pcap).payloadBytes() >= bytes) {
                return;
            }
            Thread.sleep(50);
        }
    }

    private static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(5, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
    }

    private static ExecResult sh(String script) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", script).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("timed out: " + script);
        }
        return new ExecResult(List.of("sh", "-c", script), p.exitValue(), "", err);
    }

    private static String hex(String base64Key) {
        return Keys.toHex(Keys.fromBase64(base64Key));
    }

    /** The secrets of a test in every textual form, searched for in pieces. */
    static final class Secrets {
        private final Map<String, String> forms = new java.util.LinkedHashMap<>();

        Secrets(List<String> base64Keys) {
            int i = 0;
            for (String b64 : base64Keys) {
                forms.put("secret " + i + " (base64)", b64);
                forms.put("secret " + i + " (hex)", hex(b64));
                forms.put("secret " + i + " (HEX)", hex(b64).toUpperCase());
                i++;
            }
        }

        /** Fails when any 16-character piece of any form is in text. */
        void assertAbsent(String where, String text) {
            List<String> found = new ArrayList<>();
            forms.forEach((name, s) -> {
                for (int i = 0; i + 16 <= s.length(); i++) {
                    if (text.contains(s.substring(i, i + 16))) {
                        found.add(name);
                        return;
                    }
                }
            });
            if (!found.isEmpty()) {
                fail(where + " contains " + found + ":\n" + text);
            }
        }
    }
}
