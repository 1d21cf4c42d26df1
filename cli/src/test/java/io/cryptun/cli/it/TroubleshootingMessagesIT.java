package io.cryptun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.testkit.ExecResult;
import io.cryptun.testkit.NetnsAssumptions;
import java.net.DatagramSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every message the user guide's Troubleshooting section quotes (the bold, code-formatted ones) is
 * what cryptun (or wg, or the launcher) really prints: each is provoked for real, in namespaces
 * of the test's own, and the output must contain the quote, with the guide's "wg0" and port 51820
 * read as the scenario's own. A quote without a scenario here fails too, so the guide cannot gain
 * an unchecked one.
 */
@Tag("netns")
class TroubleshootingMessagesIT {
    private static final Path GUIDE = Path.of("../docs/user-guide.md");
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    /** What to do to provoke a message: returns everything that was printed. */
    private interface Scenario {
        String run(TwoHosts hosts, String ifname, int port) throws Exception;
    }

    @Test
    void everyQuotedMessageIsPrintedForReal() throws Exception {
        NetnsAssumptions.assumeNetns();
        NetnsAssumptions.assumeCommand("wg");
        NetnsAssumptions.assumeCommand("wireguard-go");
        NetnsAssumptions.assumeCommand("unshare");
        NetnsAssumptions.assumeCommand("setpriv");
        Map<String, Scenario> scenarios = new LinkedHashMap<>();
        scenarios.put("/dev/net/tun: No such file or directory (errno 2); load the tun module or run in a container with /dev/net/tun",
                (hosts, ifname, port) -> {
                    // a mount namespace where /dev/net is empty
                    List<String> cmd = new ArrayList<>(List.of("unshare", "-m", "sh", "-c",
                            "mount -t tmpfs none /dev/net && exec \"$@\"", "sh"));
                    cmd.addAll(cryptun("-f", ifname));
                    return failing(hosts, cmd);
                });
        scenarios.put("creating TUN device wg0 needs CAP_NET_ADMIN: Operation not permitted (errno 1)",
                (hosts, ifname, port) -> {
                    List<String> cmd = new ArrayList<>(List.of("setpriv", "--bounding-set", "-net_admin", "--inh-caps", "-net_admin"));
                    cmd.addAll(cryptun("-f", ifname));
                    return failing(hosts, cmd);
                });
        scenarios.put("UDP port 51820 is already in use", (hosts, ifname, port) -> {
            DatagramSocket holder = hosts.left.callInside(() -> new DatagramSocket(port));
            try (holder) {
                return failing(hosts, cryptun("up", ifname, "--config", conf(hosts, ifname, port).toString()));
            }
        });
        scenarios.put("/var/run/wireguard/wg0.sock: unix socket in use (wg0 is running already, perhaps in another network namespace)",
                (hosts, ifname, port) -> {
                    hosts.right.spawn(List.of("wireguard-go", "-f", ifname), null);
                    awaitSocket(ifname);
                    return failing(hosts, cryptun("-f", ifname));
                });
        scenarios.put("Unable to access interface: Protocol not supported",
                (hosts, ifname, port) -> failing(hosts, List.of("wg", "show", ifname)));
        scenarios.put("'version' is not a cryptun command. Did you mean: cryptun --version?",
                (hosts, ifname, port) -> failing(hosts, cryptun("version")));
        scenarios.put("cryptun: no Java 17 or newer found (apt-get install openjdk-17-jre-headless)",
                (hosts, ifname, port) -> failing(hosts, List.of("unshare", "-m", "sh", "-c",
                        "mount -t tmpfs none /usr/lib/jvm && PATH=/nonexistent CRYPTUN_JAR=" + CryptunEndpoint.jar()
                                + " exec " + launcher() + " --version")));

        List<String> quotes = quotes();
        assertFalse(quotes.isEmpty(), "no quoted messages found in " + GUIDE);
        List<String> unchecked = quotes.stream().filter(q -> !scenarios.containsKey(q)).toList();
        assertEquals(List.of(), unchecked, "quoted in the guide's Troubleshooting but not checked here");
        int n = 0;
        for (String quote : quotes) {
            try (TwoHosts hosts = new TwoHosts("ctutm")) {
                String ifname = "ctutm" + hosts.tag;
                int port = 52000 + n++;
                try {
                    String printed = scenarios.get(quote).run(hosts, ifname, port);
                    String expected = quote.replace("wg0", ifname).replace("51820", Integer.toString(port));
                    assertTrue(printed.contains(expected), "the guide quotes\n  " + expected + "\nbut it printed\n" + printed);
                } finally {
                    Files.deleteIfExists(Endpoint.SOCKET_DIR.resolve(ifname + ".sock"));
                }
            }
        }
    }

    /** The bold code spans of the Troubleshooting section. */
    private static List<String> quotes() throws Exception {
        String guide = Files.readString(GUIDE);
        int start = guide.indexOf("\n## Troubleshooting");
        assertTrue(start >= 0, "no Troubleshooting section");
        int end = guide.indexOf("\n## ", start + 1);
        String section = guide.substring(start, end < 0 ? guide.length() : end);
        List<String> quotes = new ArrayList<>();
        Matcher m = Pattern.compile("\\*\\*`([^`]+)`\\*\\*").matcher(section);
        while (m.find()) {
            quotes.add(m.group(1));
        }
        return quotes;
    }

    /** Runs it in the left namespace, expects a failure, returns stdout and stderr. */
    private static String failing(TwoHosts hosts, List<String> cmd) {
        ExecResult r = hosts.left.exec(TIMEOUT, cmd.toArray(new String[0]));
        assertNotEquals(0, r.exitCode(), String.join(" ", cmd) + " succeeded: " + r.stdout() + r.stderr());
        return r.stdout() + r.stderr();
    }

    private static List<String> cryptun(String... args) {
        List<String> cmd = new ArrayList<>(List.of("env", "CRYPTUN_JAR=" + CryptunEndpoint.jar(), launcher().toString()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static Path launcher() {
        return CryptunEndpoint.jar().toAbsolutePath().getParent().getParent().getParent().resolve("cryptun");
    }

    private static Path conf(TwoHosts hosts, String ifname, int port) throws Exception {
        Path conf = hosts.workDir.resolve(ifname + ".conf");
        Files.writeString(conf, "[Interface]\nPrivateKey = " + TestKeys.generate().privateKey() + "\nListenPort = " + port + "\n");
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-------"));
        return conf;
    }

    private static void awaitSocket(String ifname) throws InterruptedException {
        Path sock = Endpoint.SOCKET_DIR.resolve(ifname + ".sock");
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!Files.exists(sock) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(Files.exists(sock), "wireguard-go did not create " + sock);
    }
}
