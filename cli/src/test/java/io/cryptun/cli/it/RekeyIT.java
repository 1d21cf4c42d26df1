package io.cryptun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.testkit.NetnsAssumptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 3, item 3 (a session survives past 130 s with traffic flowing): cryptun and wireguard-go
 * exchange a ping every 0.5 s for 136 s. The initiator starts a new handshake once its session is
 * 120 s old; the tunnel carries on through it without losing an echo, and both sides show exactly
 * one more handshake (wg show's latest-handshake) about 120 s after the first. Run once with
 * cryptun initiating and once with wireguard-go initiating, both at the same time.
 */
@Tag("netns")
class RekeyIT {
    private static final int PINGS = 272;
    private static final String INTERVAL = "0.5";

    @Test
    void sessionsAreRenewedAfter120SecondsWithoutLoss() throws Exception {
        NetnsAssumptions.assumeNetns();
        NetnsAssumptions.assumeCommand("wg");
        NetnsAssumptions.assumeCommand("wireguard-go");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<String> cryptunInitiates = pool.submit(() -> scenario(true));
            Future<String> wggoInitiates = pool.submit(() -> scenario(false));
            List<Throwable> failures = new ArrayList<>();
            for (Future<String> f : List.of(cryptunInitiates, wggoInitiates)) {
                try {
                    System.out.println(f.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    failures.add(e.getCause());
                }
            }
            if (!failures.isEmpty()) {
                AssertionError e = new AssertionError(failures.size() + " of 2 rekey scenarios failed: "
                        + failures.get(0).getMessage(), failures.get(0));
                failures.stream().skip(1).forEach(e::addSuppressed);
                throw e;
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** One pair, {@code cryptunInitiates} deciding who has the endpoint (and so initiates and rekeys). */
    private static String scenario(boolean cryptunInitiates) throws Exception {
        String who = cryptunInitiates ? "cryptun initiating" : "wireguard-go initiating";
        try (TwoHosts hosts = new TwoHosts("ctsmk")) {
            TestKeys ki = TestKeys.generate();
            TestKeys kr = TestKeys.generate();
            Endpoint initiator = cryptunInitiates
                    ? new CryptunEndpoint(hosts.left, "ctsmci" + hosts.tag, ki, hosts.workDir)
                    : new WireguardGoEndpoint(hosts.left, "ctsmwi" + hosts.tag, ki, hosts.workDir);
            Endpoint responder = cryptunInitiates
                    ? new WireguardGoEndpoint(hosts.right, "ctsmwr" + hosts.tag, kr, hosts.workDir)
                    : new CryptunEndpoint(hosts.right, "ctsmcr" + hosts.tag, kr, hosts.workDir);
            Endpoint cryptun = cryptunInitiates ? initiator : responder;
            Endpoint wggo = cryptunInitiates ? responder : initiator;
            try (initiator; responder) {
                responder.start(51821, List.of(new Endpoint.PeerSpec(ki.publicKey(), null, null,
                        List.of("100.64.0.1/32"), 0)), List.of("100.64.0.2/24"));
                initiator.start(51820, List.of(new Endpoint.PeerSpec(kr.publicKey(), null, "198.18.0.2:51821",
                        List.of("100.64.0.2/32"), 0)), List.of("100.64.0.1/24"));

                long t0 = System.nanoTime();
                PingRun ping = PingRun.start(hosts.left, hosts.workDir.resolve("ping.log"),
                        "-c", Integer.toString(PINGS), "-i", INTERVAL, "-W", "2", "100.64.0.2");
                // each distinct latest-handshake value either side shows, with when we first saw it
                Map<Long, Long> wggoSaw = new LinkedHashMap<>();
                Map<Long, Long> cryptunSaw = new LinkedHashMap<>();
                String wggoPeer = cryptunInitiates ? ki.publicKey() : kr.publicKey();
                String cryptunPeer = cryptunInitiates ? kr.publicKey() : ki.publicKey();
                while (!ping.waitFor(Duration.ofSeconds(2))) {
                    long at = (System.nanoTime() - t0) / 1_000_000_000L;
                    wggoSaw.putIfAbsent(wggo.latestHandshake(wggoPeer), at);
                    cryptunSaw.putIfAbsent(cryptun.latestHandshake(cryptunPeer), at);
                    if (at > PINGS / 2 + 60) {
                        break;
                    }
                }
                wggoSaw.putIfAbsent(wggo.latestHandshake(wggoPeer), (System.nanoTime() - t0) / 1_000_000_000L);
                cryptunSaw.putIfAbsent(cryptun.latestHandshake(cryptunPeer), (System.nanoTime() - t0) / 1_000_000_000L);
                PingRun.Result r = ping.await(Duration.ofSeconds(30));
                wggoSaw.remove(0L);
                cryptunSaw.remove(0L);
                DaemonCounters counters = DaemonCounters.of(cryptun.ifname());
                String report = "RekeyIT " + who + ": " + r.summary() + "; latest handshakes (unix s -> first seen at"
                        + " test s) wireguard-go " + wggoSaw + ", cryptun " + cryptunSaw + "; cryptun sessions established "
                        + counters.get("session_established") + ", initiations sent " + counters.get("initiation_sent");

                assertTrue(r.transmitted() == PINGS && r.lostCount() <= 1, "echoes lost: " + report);
                assertEquals(2, wggoSaw.size(), "wireguard-go saw the first handshake and exactly one rekey: " + report);
                assertEquals(2, cryptunSaw.size(), "cryptun saw the first handshake and exactly one rekey: " + report);
                List<Long> times = new ArrayList<>(wggoSaw.keySet());
                long gap = times.get(1) - times.get(0);
                assertTrue(gap >= 119 && gap <= 130, "the rekey came " + gap + " s after the first handshake: " + report);
                assertEquals(2, counters.get("session_established"), report);
                return report;
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError(who + ": " + e.getMessage() + "\n" + hosts.logs(), e);
            }
        }
    }
}
