package io.cryptun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.cli.CommandRunner;
import io.cryptun.testkit.NetnsAssumptions;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Malformed and unauthenticated datagrams sent to a running cryptun are dropped and counted by
 * reason (seen through `cryptun show --json` and the Prometheus endpoint), never answered, never
 * logged as stack traces, and the tunnel keeps working.
 */
@Tag("netns")
class BadInputIT {

    @Test
    void garbageIsDroppedCountedAndHarmless() throws Exception {
        NetnsAssumptions.assumeNetns();
        NetnsAssumptions.assumeCommand("wg");
        try (TwoHosts hosts = new TwoHosts("ctbi")) {
            TestKeys kl = TestKeys.generate();
            TestKeys kr = TestKeys.generate();
            CryptunEndpoint left = new CryptunEndpoint(hosts.left, "cti" + hosts.tag, kl, hosts.workDir);
            CryptunEndpoint right = new CryptunEndpoint(hosts.right, "ctr" + hosts.tag, kr, hosts.workDir)
                    .withArgs("--metrics", "127.0.0.1:9586");
            try (left; right) {
                right.start(51821, List.of(new Endpoint.PeerSpec(kl.publicKey(), null, null, List.of("100.64.0.1/32"), 0)),
                        List.of("100.64.0.2/24"));
                left.start(51820, List.of(new Endpoint.PeerSpec(kr.publicKey(), null, "198.18.0.2:51821",
                        List.of("100.64.0.2/32"), 0)), List.of("100.64.0.1/24"));
                assertTrue(hosts.left.exec("ping", "-n", "-c", "1", "-W", "5", "100.64.0.2").succeeded(), hosts.logs());

                // from a socket in the left namespace that is not a peer's, datagrams of every bad kind
                Random rnd = new Random(7);
                int[] sent = new int[4];
                hosts.left.callInside(() -> {
                    try (DatagramSocket s = new DatagramSocket()) {
                        InetAddress to = InetAddress.getByName("198.18.0.2");
                        for (int i = 0; i < 50; i++) {
                            // too short or an unknown type (including a known type with non-zero reserved bytes)
                            byte[] b = new byte[rnd.nextInt(4)];
                            send(s, to, b);
                            byte[] u = random(rnd, 4 + rnd.nextInt(100));
                            u[0] = (byte) (5 + rnd.nextInt(200));
                            send(s, to, u);
                            byte[] r = random(rnd, 148);
                            r[0] = 1;
                            r[1] = 1;
                            send(s, to, r);
                            sent[0] += 3;
                            // handshake types of the wrong size, and transport data under 32 bytes
                            byte[] w = random(rnd, 149 + rnd.nextInt(50));
                            w[0] = (byte) (1 + rnd.nextInt(3));
                            w[1] = w[2] = w[3] = 0;
                            send(s, to, w);
                            byte[] t = random(rnd, 4 + rnd.nextInt(28));
                            t[0] = 4;
                            t[1] = t[2] = t[3] = 0;
                            send(s, to, t);
                            sent[1] += 2;
                            // right-sized initiations and responses with a wrong mac1
                            byte[] h = random(rnd, i % 2 == 0 ? 148 : 92);
                            h[0] = (byte) (i % 2 == 0 ? 1 : 2);
                            h[1] = h[2] = h[3] = 0;
                            send(s, to, h);
                            sent[2]++;
                            // transport data for indices nobody allocated
                            byte[] d = random(rnd, 32 + rnd.nextInt(1400));
                            d[0] = 4;
                            d[1] = d[2] = d[3] = 0;
                            send(s, to, d);
                            sent[3]++;
                            Thread.sleep(2);
                        }
                        // and nothing ever comes back
                        s.setSoTimeout(500);
                        DatagramPacket in = new DatagramPacket(new byte[2048], 2048);
                        try {
                            s.receive(in);
                            throw new AssertionError("cryptun answered an unauthenticated datagram");
                        } catch (java.net.SocketTimeoutException expected) {
                            // silence, as the protocol demands
                        }
                    }
                    return null;
                });
                Thread.sleep(300);

                CommandRunner.Result show = CommandRunner.run("", "show", right.ifname(), "--json");
                assertEquals(0, show.exitCode(), show.stderr());
                String json = show.stdout();
                assertEquals(sent[0], count(json, "unknown_type"), json);
                assertEquals(sent[1], count(json, "bad_size"), json);
                // one unknown-index drop may be a straggler of the real session; the junk alone is 50
                assertTrue(count(json, "unknown_index") >= sent[3], json);
                assertEquals(sent[2], count(json, "invalid_mac1"), json);

                // the same counters through the metrics endpoint, inside the namespace
                String metrics = hosts.right.callInside(() -> {
                    HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:9586/metrics").openConnection();
                    try (InputStream in = c.getInputStream()) {
                        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    }
                });
                assertTrue(metrics.contains("cryptun_dropped_packets_total{interface=\"" + right.ifname()
                        + "\",reason=\"invalid_mac1\"} " + sent[2]), metrics);
                assertTrue(metrics.contains("cryptun_peers{interface=\"" + right.ifname() + "\"} 1"), metrics);

                // still alive and working, and no stack trace anywhere in its log
                assertTrue(right.process().isAlive());
                assertTrue(hosts.right.exec("ping", "-n", "-c", "2", "-i", "0.2", "-W", "2", "100.64.0.1").succeeded(),
                        hosts.logs());
                String log = Files.readString(right.log());
                assertFalse(log.contains("Exception"), log);
                assertFalse(log.contains("\tat "), log);
            }
        }
    }

    private static byte[] random(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    private static void send(DatagramSocket s, InetAddress to, byte[] b) throws Exception {
        s.send(new DatagramPacket(b, b.length, to, 51821));
    }

    private static long count(String json, String reason) {
        Matcher m = Pattern.compile("\"" + reason + "\": (\\d+)").matcher(json);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }
}
