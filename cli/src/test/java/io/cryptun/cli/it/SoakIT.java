package io.cryptun.cli.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.cli.daemon.Daemon;
import io.cryptun.testkit.NetnsAssumptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Continuous traffic through cryptun ↔ wireguard-go and cryptun ↔ cryptun while cryptun (the
 * initiator) rekeys every 10 s (a test-only interval), counting lost sessions (a gap of more than
 * one second with no echo answered), stuck handshakes (no new handshake within 3 rekey intervals)
 * and memory growth. CI runs 60 s; the long run is one command:
 * {@code mvn -B verify -pl cli -am -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dit.test=SoakIT -Dcryptun.soak.seconds=900}.
 */
@Tag("netns")
class SoakIT {
    private static final int REKEY_SECONDS = 10;
    private static final double PING_INTERVAL = 0.05;

    private record Figures(String pair, int seconds, int sent, int answered, double maxGapSeconds, int handshakes,
                           long rssWarmKb, long rssEndKb, long maxHandshakeAgeSeconds) {
        @Override
        public String toString() {
            return String.format("%s: %d s, %d echoes sent, %d answered, longest gap %.2f s, %d handshakes, "
                    + "oldest handshake seen %d s, cryptun RSS %d MB after warm-up -> %d MB at the end",
                    pair, seconds, sent, answered, maxGapSeconds, handshakes, maxHandshakeAgeSeconds,
                    rssWarmKb / 1024, rssEndKb / 1024);
        }
    }

    @Test
    void sessionsSurviveFrequentRekeysWithTrafficFlowing() throws Exception {
        NetnsAssumptions.assumeNetns();
        NetnsAssumptions.assumeCommand("wg");
        NetnsAssumptions.assumeCommand("wireguard-go");
        int seconds = Integer.getInteger("cryptun.soak.seconds", 60);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Figures> withWgGo = pool.submit(() -> soak("cryptun<->wireguard-go", "wggo", seconds));
            Future<Figures> withCryptun = pool.submit(() -> soak("cryptun<->cryptun", "cryptun", seconds));
            List<Figures> all = new ArrayList<>(List.of(withWgGo.get(), withCryptun.get()));
            for (Figures f : all) {
                System.out.println("SoakIT " + f);
                assertTrue(f.maxGapSeconds() <= 1.0, "a session was lost (gap > 1 s): " + f);
                assertTrue(f.answered() >= f.sent() * 0.99, "more than 1% of echoes lost: " + f);
                assertTrue(f.handshakes() >= seconds / REKEY_SECONDS - 1, "too few rekeys: " + f);
                assertTrue(f.maxHandshakeAgeSeconds() <= 3L * REKEY_SECONDS, "a handshake got stuck: " + f);
                assertTrue(f.rssEndKb() - f.rssWarmKb() < 64 * 1024, "memory grew by more than 64 MB: " + f);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private Figures soak(String pair, String peerKind, int seconds) throws Exception {
        try (TwoHosts hosts = new TwoHosts("ctsk")) {
            TestKeys ki = TestKeys.generate();
            TestKeys kr = TestKeys.generate();
            CryptunEndpoint initiator = new CryptunEndpoint(hosts.left, "cti" + hosts.tag, ki, hosts.workDir)
                    .withLauncherJvmOptions().withEnv(Daemon.TEST_REKEY_ENV, Integer.toString(REKEY_SECONDS));
            Endpoint responder = peerKind.equals("wggo")
                    ? new WireguardGoEndpoint(hosts.right, "wgr" + hosts.tag, kr, hosts.workDir)
                    : new CryptunEndpoint(hosts.right, "ctr" + hosts.tag, kr, hosts.workDir).withLauncherJvmOptions();
            try (initiator; responder) {
                responder.start(51821, List.of(new Endpoint.PeerSpec(ki.publicKey(), null, null,
                        List.of("100.64.0.1/32"), 0)), List.of("100.64.0.2/24"));
                initiator.start(51820, List.of(new Endpoint.PeerSpec(kr.publicKey(), null, "198.18.0.2:51821",
                        List.of("100.64.0.2/32"), 0)), List.of("100.64.0.1/24"));
                assertTrue(hosts.left.exec("ping", "-n", "-c", "1", "-W", "5", "100.64.0.2").succeeded(), hosts.logs());
                int count = (int) (seconds / PING_INTERVAL);
                PingRun ping = PingRun.start(hosts.left, hosts.workDir.resolve("soak-ping.log"),
                        "-i", Double.toString(PING_INTERVAL), "-c", Integer.toString(count), "-W", "1", "100.64.0.2");
                long warmRss = 0;
                long maxAge = 0;
                long lastHandshake = 0;
                int handshakes = 0;
                long start = System.nanoTime();
                while (!ping.waitFor(Duration.ofSeconds(1))) {
                    long hs = initiator.latestHandshake(kr.publicKey());
                    if (hs != lastHandshake) {
                        handshakes++;
                        lastHandshake = hs;
                    }
                    maxAge = Math.max(maxAge, System.currentTimeMillis() / 1000 - hs);
                    if (warmRss == 0 && System.nanoTime() - start > Duration.ofSeconds(Math.max(10, seconds / 5)).toNanos()) {
                        warmRss = ProcessUsage.rssKb(initiator.process().pid());
                    }
                    if (System.nanoTime() - start > Duration.ofSeconds(seconds + 60).toNanos()) {
                        ping.stop();
                        break;
                    }
                }
                PingRun.Result r = ping.await(Duration.ofSeconds(10));
                long endRss = ProcessUsage.rssKb(initiator.process().pid());
                return new Figures(pair, seconds, r.transmitted(), r.received(), maxGap(r, count), handshakes,
                        warmRss == 0 ? endRss : warmRss, endRss, maxAge);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError(pair + ": " + e.getMessage() + "\n" + hosts.logs(), e);
            }
        }
    }

    /** The longest run of unanswered echoes, in seconds. */
    private static double maxGap(PingRun.Result r, int count) {
        int longest = 0;
        int run = 0;
        java.util.Set<Integer> lost = new java.util.HashSet<>(r.lost());
        for (int seq = 1; seq <= Math.max(count, r.transmitted()); seq++) {
            if (lost.contains(seq)) {
                run++;
                longest = Math.max(longest, run);
            } else {
                run = 0;
            }
        }
        return longest * PING_INTERVAL;
    }

}
