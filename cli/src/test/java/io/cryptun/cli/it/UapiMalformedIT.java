package io.cryptun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.cli.uapi.RawUapiClient;
import io.cryptun.noise.crypto.Keys;
import io.cryptun.testkit.ExecResult;
import io.cryptun.testkit.Netns;
import io.cryptun.testkit.NetnsAssumptions;
import io.cryptun.testkit.NetnsSet;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Malformed requests on the UAPI socket of cryptun and of wireguard-go, side by side: each gets
 * the same errno (or the same closed connection) from both, except where cryptun is stricter on
 * purpose (said per case); cryptun's state is unchanged after every refused request, and a
 * well-behaved client polling cryptun all along is always answered.
 */
@Tag("netns")
class UapiMalformedIT {
    /** What a request got: "errno=N", "closed" (no reply), or "errno=N,closed". */
    private static String outcome(RawUapiClient.Reply r) {
        if (r.timedOut()) {
            return "timed out";
        }
        Integer errno = r.errno();
        return errno == null ? (r.closed() ? "closed" : "?") : "errno=" + errno;
    }

    private static String exchange(Path sock, byte[] request, boolean halfClose) throws IOException {
        try (RawUapiClient c = new RawUapiClient(sock)) {
            c.send(request);
            if (halfClose) {
                c.shutdownOutput();
            }
            return outcome(c.read(RawUapiClient.TIMEOUT));
        }
    }

    private static String state(Path sock) throws IOException {
        RawUapiClient.Reply r = RawUapiClient.exchange(sock, "get=1\n\n");
        assertEquals(0, r.errno(), r::toString);
        return r.body();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] allowedIps(String peerHex, long bytes) {
        StringBuilder sb = new StringBuilder("set=1\npublic_key=").append(peerHex).append("\nreplace_allowed_ips=true\n");
        for (int i = 0; sb.length() < bytes; i++) {
            sb.append("allowed_ip=10.").append((i >> 16) & 0xff).append('.').append((i >> 8) & 0xff).append('.')
                    .append(i & 0xff).append("/32\n");
        }
        return ascii(sb.append('\n').toString());
    }

    @Test
    void malformedRequestsGetTheRightErrnoAndChangeNothing() throws Exception {
        NetnsAssumptions.assumeNetns();
        NetnsAssumptions.assumeCommand("wg");
        NetnsAssumptions.assumeCommand("wireguard-go");
        Path work = Files.createTempDirectory("cryptun-malformed-");
        String tag = Long.toString(ProcessHandle.current().pid() % 1000, 36) + Long.toString(System.nanoTime() % 1296, 36);
        try (NetnsSet namespaces = new NetnsSet()) {
            Netns ns = namespaces.create("ctuamf");
            try (UserspaceDaemon go = UserspaceDaemon.start(UserspaceDaemon.Kind.WIREGUARD_GO, ns, "ctuamg" + tag, work);
                 UserspaceDaemon ct = UserspaceDaemon.start(UserspaceDaemon.Kind.CRYPTUN, ns, "ctuamc" + tag, work)) {
                TestKeys me = TestKeys.generate();
                TestKeys peer = TestKeys.generate();
                String peerHex = Keys.toHex(Keys.fromBase64(peer.publicKey()));
                String config = "private_key=" + Keys.toHex(Keys.fromBase64(me.privateKey())) + "\n"
                        + "public_key=" + peerHex + "\nendpoint=192.0.2.1:51820\nallowed_ip=10.0.0.0/8\n";
                assertEquals("errno=0", exchange(go.socket(), ascii("set=1\nlisten_port=40011\n" + config + "\n"), false));
                assertEquals("errno=0", exchange(ct.socket(), ascii("set=1\nlisten_port=40012\n" + config + "\n"), false));
                String baseline = state(ct.socket());

                // a well-behaved client asking cryptun all along
                AtomicBoolean done = new AtomicBoolean();
                AtomicInteger answered = new AtomicInteger();
                java.util.concurrent.atomic.AtomicLong slowest = new java.util.concurrent.atomic.AtomicLong();
                AtomicReference<String> failure = new AtomicReference<>();
                Thread poller = new Thread(() -> {
                    while (!done.get() && failure.get() == null) {
                        try {
                            long t0 = System.nanoTime();
                            RawUapiClient.Reply r = RawUapiClient.exchange(ct.socket(), "get=1\n\n");
                            slowest.accumulateAndGet((System.nanoTime() - t0) / 1_000_000, Math::max);
                            if (r.errno() == null || r.errno() != 0 || !r.text().startsWith("private_key=")) {
                                failure.set("poller got " + r);
                            }
                            answered.incrementAndGet();
                        } catch (IOException e) {
                            failure.set("poller: " + e);
                        }
                    }
                });
                poller.start();

                List<String> problems = new ArrayList<>();
                record Case(String name, byte[] request, boolean halfClose, String expected, String wireguardGo) {
                }
                String tenMegabyteLine = "set=1\nfwmark=" + "9".repeat(10 << 20) + "\n\n";
                List<Case> cases = List.of(
                        new Case("bad hex", ascii("set=1\nprivate_key=zz" + "0".repeat(62) + "\n\n"), false, "errno=-22", null),
                        new Case("unknown key", ascii("set=1\nfoo=bar\n\n"), false, "errno=-22", null),
                        new Case("upper-case key name", ascii("set=1\nFWMARK=1\n\n"), false, "errno=-22", null),
                        new Case("device key after public_key", ascii("set=1\npublic_key=" + peerHex + "\nlisten_port=1234\n\n"),
                                false, "errno=-22", null),
                        new Case("private key after public_key", ascii("set=1\npublic_key=" + peerHex + "\nprivate_key="
                                + "1".repeat(64) + "\n\n"), false, "errno=-22", null),
                        new Case("line without '='", ascii("set=1\nfwmark\n\n"), false, "errno=-71", null),
                        new Case("NUL and non-UTF-8 bytes", ascii("set=1\n\u0000\u00ff\u00fe=1\n\n"), false, "errno=-22", null),
                        new Case("good lines then a bad one", ascii("set=1\nfwmark=77\nreplace_peers=true\npublic_key=" + peerHex
                                + "\nendpoint=nonsense\n\n"), false, "errno=-22", null),
                        new Case("overlong line (70 000 bytes)", ascii("set=1\nfwmark=" + "1".repeat(70_000) + "\n\n"), false,
                                "errno=-5", null),
                        new Case("10 MB request in one line", ascii(tenMegabyteLine), false, "errno=-5", null),
                        new Case("get with trailing garbage", ascii("get=1\nx\n\n"), false, "errno=-22", null),
                        new Case("unknown operation", ascii("get=2\n\n"), false, "closed", null),
                        new Case("operation with CR", ascii("get=1\r\n\n"), false, "closed", null),
                        new Case("half-closed get", ascii("get=1\n"), true, "closed", null),
                        // wireguard-go applies what it read before the end of the stream; cryptun
                        // cannot tell a finished request from a truncated one, so it refuses it
                        new Case("half-closed set", ascii("set=1\nfwmark=9\n"), true, "errno=-71", "errno=0"),
                        // wireguard-go reads a request of any size; cryptun stops at 16 MiB
                        new Case("17 MB request of valid lines", allowedIps(peerHex, 17L << 20), false, "errno=-5", "errno=0"));
                for (Case c : cases) {
                    String fromGo = exchange(go.socket(), c.request(), c.halfClose());
                    String fromCt = exchange(ct.socket(), c.request(), c.halfClose());
                    String expectedGo = c.wireguardGo() != null ? c.wireguardGo() : c.expected();
                    if (!fromCt.equals(c.expected()) || !fromGo.equals(expectedGo)) {
                        problems.add(c.name() + ": cryptun " + fromCt + " (expected " + c.expected() + "), wireguard-go "
                                + fromGo + " (expected " + expectedGo + ")");
                    }
                    String now = state(ct.socket());
                    if (!now.equals(baseline)) {
                        problems.add(c.name() + ": cryptun's state changed:\n" + now);
                        exchange(ct.socket(), ascii("set=1\nfwmark=0\nreplace_peers=true\n" + config + "\n"), false);
                        baseline = state(ct.socket());
                    }
                }

                // a 10 MB request of valid lines is applied by both
                byte[] big = allowedIps(peerHex, 10L << 20);
                int lines = new String(big, StandardCharsets.ISO_8859_1).split("\nallowed_ip=", -1).length - 1;
                assertEquals("errno=0", exchange(go.socket(), big, false));
                assertEquals("errno=0", exchange(ct.socket(), big, false));
                String[] views = {go.wg("show", "IF", "allowed-ips").requireSuccess().stdout(),
                                  ct.wg("show", "IF", "allowed-ips").requireSuccess().stdout()};
                for (String v : views) {
                    assertEquals(lines, v.strip().split(" ", -1).length, "allowed IPs after the 10 MB request");
                }

                // many connections at once: idle ones do not keep wg out
                List<RawUapiClient> idle = new ArrayList<>();
                try {
                    for (int i = 0; i < 150; i++) {
                        idle.add(new RawUapiClient(ct.socket()));
                        idle.add(new RawUapiClient(go.socket()));
                    }
                    for (UserspaceDaemon d : List.of(go, ct)) {
                        ExecResult r = d.wg("show", "IF", "listen-port");
                        assertEquals(0, r.exitCode(), d.kind() + " with 150 idle clients: " + r.stderr());
                    }
                } finally {
                    for (RawUapiClient c : idle) {
                        c.close();
                    }
                }

                done.set(true);
                poller.join();
                assertEquals(null, failure.get(), "slowest answer " + slowest.get() + " ms");
                System.out.println("UapiMalformedIT: the polling client got " + answered.get() + " answers, the slowest in "
                        + slowest.get() + " ms");
                assertTrue(answered.get() > 0);
                assertTrue(problems.isEmpty(), String.join("\n", problems));
                assertTrue(ct.process().isAlive(), ct.logText());
                assertTrue(go.process().isAlive(), go.logText());
            }
        } finally {
            try (Stream<Path> s = Files.walk(work)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
