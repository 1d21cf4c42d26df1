package io.cryptun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.testkit.ExecResult;
import io.cryptun.testkit.Netns;
import io.cryptun.testkit.NetnsAssumptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The background form {@code cryptun IFNAME}, as the unchanged wg-quick runs it, behaves as
 * wireguard-go's where scripts depend on it. Each case runs against both, the same commands and
 * the same expectations, so the reference is checked along with cryptun:
 * <ul>
 * <li>an interface name that runs in another namespace (the socket directory is shared) is refused
 *     with "unix socket in use", and the running interface keeps its key, port and peers;</li>
 * <li>after the daemon is killed (kill -9, its socket file left behind), wg-quick up works again
 *     and returns with the interface answering;</li>
 * <li>the daemon lets go of the caller's stdout and stderr: {@code out=$(wg-quick up CONF 2>&1 | cat)}
 *     and {@code out=$(IMPL IFNAME 2>&1)} return.</li>
 * </ul>
 */
@Tag("netns")
class WgQuickDaemonParityIT {
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"cryptun", "wireguard-go"})
    void socketInUseElsewhereIsRefused(String impl) throws Exception {
        assumeTools();
        try (TwoHosts hosts = new TwoHosts("ctuwp")) {
            String ifname = "ctuwp" + hosts.tag;
            TestKeys running = TestKeys.generate();
            TestKeys intruder = TestKeys.generate();
            TestKeys peer = TestKeys.generate();
            Path conf = hosts.workDir.resolve("a").resolve(ifname + ".conf");
            Path other = hosts.workDir.resolve("b").resolve(ifname + ".conf");
            writeConf(conf, running, 51820, peer.publicKey());
            writeConf(other, intruder, 51830, null);
            try {
                ExecResult up = wgQuick(hosts, impl, hosts.left, "up", conf);
                assertEquals(0, up.exitCode(), up.stderr());

                ExecResult second = wgQuick(hosts, impl, hosts.right, "up", other);
                String said = second.stdout() + second.stderr();
                assertNotEquals(0, second.exitCode(), said);
                // wireguard-go logs it on stdout, cryptun on stderr
                assertTrue(said.contains("unix socket in use"), said);

                // the running interface is untouched
                java.util.List<String> dump = assertKeyAndPort(hosts.left, ifname, running.publicKey(), "51820");
                assertEquals(2, dump.size(), "the peer is gone: " + dump);
                assertGone(hosts.right, ifname);

                ExecResult down = wgQuick(hosts, impl, hosts.left, "down", conf);
                assertEquals(0, down.exitCode(), down.stderr());
            } finally {
                removeSocket(ifname);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"cryptun", "wireguard-go"})
    void upAfterKillMinus9ReplacesTheStaleSocket(String impl) throws Exception {
        assumeTools();
        try (TwoHosts hosts = new TwoHosts("ctuwk")) {
            String ifname = "ctuwk" + hosts.tag;
            TestKeys keys = TestKeys.generate();
            Path conf = hosts.workDir.resolve(ifname + ".conf");
            writeConf(conf, keys, 51820, TestKeys.generate().publicKey());
            Path sock = Endpoint.SOCKET_DIR.resolve(ifname + ".sock");
            try {
                ExecResult up = wgQuick(hosts, impl, hosts.left, "up", conf);
                assertEquals(0, up.exitCode(), up.stderr());
                List<Long> daemons = daemonsOf(hosts.left, ifname);
                assertFalse(daemons.isEmpty(), "no daemon runs in the namespace");
                for (long pid : daemons) {
                    // processes of this test's own namespace, by PID
                    hosts.left.exec("kill", "-9", Long.toString(pid));
                }
                assertGone(hosts.left, ifname);
                assertTrue(Files.exists(sock), "kill -9 leaves the socket file behind, the case under test");

                ExecResult again = wgQuick(hosts, impl, hosts.left, "up", conf);
                assertEquals(0, again.exitCode(), again.stderr());
                // wg-quick returned, so it had configured the interface: the new daemon answers with the file's key and port
                assertKeyAndPort(hosts.left, ifname, keys.publicKey(), "51820");

                ExecResult down = wgQuick(hosts, impl, hosts.left, "down", conf);
                assertEquals(0, down.exitCode(), down.stderr());
                assertGone(hosts.left, ifname);
            } finally {
                removeSocket(ifname);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"cryptun", "wireguard-go"})
    void callersOutputIsLetGo(String impl) throws Exception {
        assumeTools();
        try (TwoHosts hosts = new TwoHosts("ctuwo")) {
            String ifname = "ctuwo" + hosts.tag;
            String direct = "ctuwd" + hosts.tag;
            Path conf = hosts.workDir.resolve(ifname + ".conf");
            writeConf(conf, TestKeys.generate(), 51820, null);
            Netns ns = hosts.left;
            try {
                // a pipe the daemon kept would make the command substitution wait for it: the
                // harness would then time out and throw
                ExecResult piped = inShell(hosts, impl, ns,
                        "out=$(wg-quick up '" + conf + "' 2>&1 | cat); echo \"[$out]\"");
                assertEquals(0, piped.exitCode(), piped.stdout() + piped.stderr());
                assertTrue(piped.stdout().contains("wg setconf " + ifname), piped.stdout());
                assertTrue(ns.exec("wg", "show", ifname).succeeded(), "the daemon did not survive its caller");

                ExecResult substituted = inShell(hosts, impl, ns, "out=$(" + impl + " " + direct + " 2>&1); echo \"rc=$?\"");
                assertTrue(substituted.stdout().contains("rc=0"), substituted.stdout() + substituted.stderr());
                assertTrue(ns.exec("wg", "show", direct).succeeded(), "the daemon did not survive its caller");

                assertEquals(0, wgQuick(hosts, impl, ns, "down", conf).exitCode());
                ns.exec("ip", "link", "delete", "dev", direct).requireSuccess();
                assertGone(ns, ifname);
                assertGone(ns, direct);
            } finally {
                removeSocket(ifname);
                removeSocket(direct);
            }
        }
    }

    private static void assumeTools() {
        NetnsAssumptions.assumeWgQuickRunsUserspace();
    }

    /** The interface answers `wg` with this key and listen port; returns `wg show dump`'s lines. */
    private static java.util.List<String> assertKeyAndPort(Netns ns, String ifname, String publicKey, String port) {
        ExecResult dump = ns.exec("wg", "show", ifname, "dump").requireSuccess();
        java.util.List<String> lines = dump.stdout().lines().toList();
        String[] self = lines.get(0).split("\t");
        assertEquals(publicKey, self[1], dump.stdout());
        assertEquals(port, self[2], dump.stdout());
        return lines;
    }

    private static void writeConf(Path conf, TestKeys keys, int port, String peerPublicKey) throws IOException {
        Files.createDirectories(conf.getParent());
        String text = "[Interface]\nPrivateKey = " + keys.privateKey() + "\nListenPort = " + port + "\n";
        if (peerPublicKey != null) {
            text += "\n[Peer]\nPublicKey = " + peerPublicKey + "\nAllowedIPs = 10.99.0.2/32\n";
        }
        Files.writeString(conf, text);
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-------"));
    }

    /** The environment that makes IMPL the one wg-quick runs: the repo's launcher on PATH as `cryptun`. */
    private static List<String> env(TwoHosts hosts, String impl) throws IOException {
        Path bin = hosts.workDir.resolve("bin");
        if (!Files.exists(bin)) {
            Files.createDirectories(bin);
            Path jar = CryptunEndpoint.jar().toAbsolutePath();
            Files.createSymbolicLink(bin.resolve("cryptun"), jar.getParent().getParent().getParent().resolve("cryptun"));
        }
        return new ArrayList<>(List.of("env", "PATH=" + bin + ":" + System.getenv("PATH"),
                "WG_QUICK_USERSPACE_IMPLEMENTATION=" + impl, "CRYPTUN_JAR=" + CryptunEndpoint.jar().toAbsolutePath()));
    }

    private static ExecResult wgQuick(TwoHosts hosts, String impl, Netns ns, String action, Path conf) throws IOException {
        List<String> cmd = env(hosts, impl);
        cmd.addAll(List.of("wg-quick", action, conf.toString()));
        return ns.exec(COMMAND_TIMEOUT, cmd.toArray(new String[0]));
    }

    private static ExecResult inShell(TwoHosts hosts, String impl, Netns ns, String script) throws IOException {
        List<String> cmd = env(hosts, impl);
        cmd.addAll(List.of("sh", "-c", script));
        return ns.exec(COMMAND_TIMEOUT, cmd.toArray(new String[0]));
    }

    /** The device and its daemon are gone from the namespace (a refused or killed daemon ends by itself). */
    private static void assertGone(Netns ns, String ifname) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while ((ns.exec("ip", "link", "show", "dev", ifname).succeeded() || !daemonsOf(ns, ifname).isEmpty())
                && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertFalse(ns.exec("ip", "link", "show", "dev", ifname).succeeded(), ifname + " is still there in " + ns);
        assertEquals(List.of(), daemonsOf(ns, ifname), ifname + "'s daemon still runs in " + ns);
    }

    /**
     * The processes of the namespace that run IFNAME (its name is on their command line). Not every
     * process there: the launcher may leave a training run of its ahead-of-time cache behind.
     */
    private static List<Long> daemonsOf(Netns ns, String ifname) {
        List<Long> daemons = new ArrayList<>();
        for (long pid : ns.pids()) {
            try {
                String cmdline = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline")).replace('\0', ' ');
                if ((" " + cmdline).contains(" " + ifname + " ")) {
                    daemons.add(pid);
                }
            } catch (IOException e) {
                // ended meanwhile
            }
        }
        return daemons;
    }

    private static void removeSocket(String ifname) throws IOException {
        // the directory is shared; this name is this test's own
        Files.deleteIfExists(Endpoint.SOCKET_DIR.resolve(ifname + ".sock"));
    }
}
