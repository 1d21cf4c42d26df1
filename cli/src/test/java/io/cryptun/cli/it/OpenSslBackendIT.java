package io.cryptun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.testkit.ExecResult;
import io.cryptun.testkit.Jdks;
import io.cryptun.testkit.NetnsAssumptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The openssl data-path backend in the real daemon, on the newest JDK 22+ installed (the build's
 * JDK 17 cannot run it): against wireguard-go with full-size packets both ways, and without
 * libcrypto (the library name pointed at nothing), where auto falls back to the JDK provider and
 * an explicit {@code --crypto openssl} is refused before any device exists.
 */
@Tag("netns")
class OpenSslBackendIT {
    private static final String ABSENT = "libcryptun-test-absent.so.0";
    private static final String WHY = "the daemon's openssl backend goes untested end to end";

    @Test
    void opensslBackendCarriesTrafficWithWireguardGo() throws Exception {
        Path java = Jdks.assumeAtLeast(22, WHY);
        String log = tunnelToWireguardGo(java, "openssl", null);
        // the handshakes with wireguard-go ran on libcrypto's X25519 too
        assertTrue(log.contains("data path: ChaCha20-Poly1305 by the openssl backend, X25519 by openssl's"), log);
    }

    @Test
    void theJdkBackendTakesX25519FromBouncyCastleNotLibcrypto() throws Exception {
        Path java = Jdks.assumeAtLeast(22, WHY);
        String log = tunnelToWireguardGo(java, "jdk", null);
        assertTrue(log.contains("data path: ChaCha20-Poly1305 by the jdk backend, X25519 by bc's"), log);
    }

    @Test
    void withoutLibcryptoAutoFallsBackToTheJdkProvider() throws Exception {
        Path java = Jdks.assumeAtLeast(22, WHY);
        String log = tunnelToWireguardGo(java, "auto", ABSENT);
        assertTrue(log.contains("data path: ChaCha20-Poly1305 by the jdk backend, X25519 by bc's"), log);
    }

    @Test
    void anExplicitOpensslWithoutLibcryptoIsRefusedBeforeAnyDevice() throws Exception {
        Path java = Jdks.assumeAtLeast(22, WHY);
        NetnsAssumptions.assumeNetns();
        try (TwoHosts hosts = new TwoHosts("ctos")) {
            Path conf = hosts.workDir.resolve("refused.conf");
            Files.writeString(conf, "[Interface]\nPrivateKey = " + TestKeys.generate().privateKey() + "\n");
            Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-------"));
            String ifname = "ctos" + hosts.tag;
            // in a namespace of its own, and bounded: were the check broken, a device and a daemon would follow
            ExecResult r = hosts.left.exec(Duration.ofSeconds(30), "env", "CRYPTUN_LIBCRYPTO=" + ABSENT,
                    java.toString(), "--enable-native-access=ALL-UNNAMED", "-jar", CryptunEndpoint.jar().toString(),
                    "up", ifname, "--config", conf.toString(), "--crypto", "openssl");
            assertEquals(1, r.exitCode(), r.stdout() + r.stderr());
            assertTrue(r.stderr().strip().startsWith("--crypto openssl: the openssl backend is not available: cannot use "
                    + ABSENT + ": "), r.stderr());
            assertFalse(hosts.left.exec("ip", "link", "show", ifname).succeeded(), "no device was created");
        }
    }

    /** cryptun (initiator, on {@code java}) to wireguard-go; returns cryptun's log. */
    private static String tunnelToWireguardGo(Path java, String crypto, String libcrypto) throws Exception {
        NetnsAssumptions.assumeNetns();
        NetnsAssumptions.assumeCommand("wg");
        NetnsAssumptions.assumeCommand("wireguard-go");
        try (TwoHosts hosts = new TwoHosts("ctos")) {
            TestKeys kc = TestKeys.generate();
            TestKeys kw = TestKeys.generate();
            CryptunEndpoint cryptun = new CryptunEndpoint(hosts.left, "cto" + hosts.tag, kc, hosts.workDir)
                    .withJava(java).withJvmOptions("--enable-native-access=ALL-UNNAMED").withArgs("--crypto", crypto);
            if (libcrypto != null) {
                cryptun.withEnv("CRYPTUN_LIBCRYPTO", libcrypto);
            }
            WireguardGoEndpoint wggo = new WireguardGoEndpoint(hosts.right, "wgo" + hosts.tag, kw, hosts.workDir);
            try (cryptun; wggo) {
                wggo.start(51821, List.of(new Endpoint.PeerSpec(kc.publicKey(), null, null,
                        List.of("100.64.0.1/32"), 0)), List.of("100.64.0.2/24"));
                cryptun.start(51820, List.of(new Endpoint.PeerSpec(kw.publicKey(), null,
                        TwoHosts.endpoint(hosts.rightUnderlay(4), 51821), List.of("100.64.0.2/32"), 0)),
                        List.of("100.64.0.1/24"));
                ping(hosts.left, "-c", "1", "-W", "5", "100.64.0.2");
                // full-size inner packets (1392 + 8 + 20 = 1420), sealed and opened by each side
                ping(hosts.left, "-c", "3", "-i", "0.2", "-W", "2", "-M", "do", "-s", "1392", "100.64.0.2");
                ping(hosts.right, "-c", "3", "-i", "0.2", "-W", "2", "-M", "do", "-s", "1392", "100.64.0.1");
                ping(hosts.right, "-c", "3", "-i", "0.2", "-W", "2", "-s", "16", "100.64.0.1");
                return Files.readString(cryptun.log());
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError(e.getMessage() + "\n" + hosts.logs(), e);
            }
        }
    }

    private static void ping(io.cryptun.testkit.Netns from, String... args) {
        String[] cmd = new String[args.length + 2];
        cmd[0] = "ping";
        cmd[1] = "-n";
        System.arraycopy(args, 0, cmd, 2, args.length);
        ExecResult r = from.exec(cmd);
        assertTrue(r.succeeded(), "ping " + String.join(" ", args) + " from " + from.name() + " failed:\n"
                + r.stdout() + r.stderr());
    }
}
