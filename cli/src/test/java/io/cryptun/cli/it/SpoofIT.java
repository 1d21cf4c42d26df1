package io.cryptun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.testkit.NetnsAssumptions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 3, item 3 (cryptokey routing on the way in): a packet that wireguard-go encrypts with a
 * valid session but whose inner source is not among that peer's allowed IPs is dropped by
 * cryptun, counted as source_not_allowed, and never reaches cryptun's TUN device.
 */
@Tag("netns")
class SpoofIT {

    /** The peer's own allowed IPs are its /32 and /128; it sends from a second address it also holds. */
    @Test
    void innerSourceOutsideThePeersAllowedIpsIsDropped() throws Exception {
        NetnsAssumptions.assumeNetns();
        NetnsAssumptions.assumeCommand("wg");
        NetnsAssumptions.assumeCommand("wireguard-go");
        NetnsAssumptions.assumeCommand("tcpdump");
        try (TwoHosts hosts = new TwoHosts("ctsms")) {
            TestKeys kc = TestKeys.generate();
            TestKeys kw = TestKeys.generate();
            CryptunEndpoint ct = new CryptunEndpoint(hosts.left, "ctsmc" + hosts.tag, kc, hosts.workDir);
            WireguardGoEndpoint wg = new WireguardGoEndpoint(hosts.right, "ctsmw" + hosts.tag, kw, hosts.workDir);
            try (ct; wg) {
                ct.start(51820, List.of(new Endpoint.PeerSpec(kw.publicKey(), null, "198.18.0.2:51821",
                        List.of("100.64.0.2/32", "fd99::2/128"), 0)), List.of("100.64.0.1/24", "fd99::1/64"));
                // wireguard-go routes by destination only: it encrypts whatever source the packet has
                wg.start(51821, List.of(new Endpoint.PeerSpec(kc.publicKey(), null, "198.18.0.1:51820",
                        List.of("100.64.0.1/32", "fd99::1/128"), 0)),
                        List.of("100.64.0.2/24", "fd99::2/64", "100.64.0.99/24", "fd99::99/64"));
                assertEquals(2, ping(hosts, "ok4", "-c", "2", "-i", "0.2", "-W", "5", "-I", "100.64.0.2", "100.64.0.1").received(),
                        "the tunnel works from the allowed address");

                long before = DaemonCounters.of(ct.ifname()).get("source_not_allowed");
                List<String> seen;
                try (Capture tun = Capture.start(hosts.left, ct.ifname(), hosts.workDir.resolve("tun.txt"), "icmp", "or", "icmp6")) {
                    PingRun.Result spoofed4 = ping(hosts, "spoof4", "-c", "5", "-i", "0.2", "-W", "1", "-I", "100.64.0.99",
                            "100.64.0.1");
                    PingRun.Result spoofed6 = ping(hosts, "spoof6", "-c", "5", "-i", "0.2", "-W", "1", "-I", "fd99::99",
                            "fd99::1");
                    assertEquals(0, spoofed4.received(), spoofed4.output());
                    assertEquals(0, spoofed6.received(), spoofed6.output());
                    // the control: packets from the allowed addresses do show up on the capture
                    assertEquals(2, ping(hosts, "ok4b", "-c", "2", "-i", "0.2", "-W", "2", "-I", "100.64.0.2", "100.64.0.1").received());
                    assertEquals(2, ping(hosts, "ok6b", "-c", "2", "-i", "0.2", "-W", "2", "-I", "fd99::2", "fd99::1").received());
                    Thread.sleep(200);
                    seen = tun.stop();
                }
                long dropped = DaemonCounters.of(ct.ifname()).get("source_not_allowed") - before;
                assertEquals(10, dropped, "each spoofed echo request counted as source_not_allowed");
                assertTrue(seen.stream().noneMatch(l -> l.contains("100.64.0.99") || l.contains("fd99::99")),
                        "a spoofed packet reached cryptun's TUN device:\n" + String.join("\n", seen));
                assertEquals(2, seen.stream().filter(l -> l.contains("100.64.0.2 > 100.64.0.1: ICMP echo request")).count(),
                        String.join("\n", seen));
                assertEquals(2, seen.stream().filter(l -> l.contains("fd99::2 > fd99::1: ICMP6, echo request")).count(),
                        String.join("\n", seen));
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError(e.getMessage() + "\n" + hosts.logs(), e);
            }
        }
    }

    /**
     * netns.sh scenario 6: a more specific allowed IP for a different peer key takes the real
     * peer's source away; removing that peer gives it back, and the endpoint survives throughout.
     */
    @Test
    void aMoreSpecificAllowedIpOfAnotherPeerClaimsTheSource() throws Exception {
        NetnsAssumptions.assumeNetns();
        NetnsAssumptions.assumeCommand("wg");
        NetnsAssumptions.assumeCommand("wireguard-go");
        try (TwoHosts hosts = new TwoHosts("ctsmr")) {
            TestKeys kc = TestKeys.generate();
            TestKeys kw = TestKeys.generate();
            String other = TestKeys.generate().publicKey();
            CryptunEndpoint ct = new CryptunEndpoint(hosts.left, "ctsmc" + hosts.tag, kc, hosts.workDir);
            WireguardGoEndpoint wg = new WireguardGoEndpoint(hosts.right, "ctsmw" + hosts.tag, kw, hosts.workDir);
            try (ct; wg) {
                ct.start(51820, List.of(new Endpoint.PeerSpec(kw.publicKey(), null, null,
                        List.of("100.64.0.0/24"), 0)), List.of("100.64.0.1/24"));
                wg.start(51821, List.of(new Endpoint.PeerSpec(kc.publicKey(), null, "198.18.0.1:51820",
                        List.of("100.64.0.1/32"), 0)), List.of("100.64.0.2/24"));
                assertEquals(2, ping(hosts, "before", "-c", "2", "-i", "0.2", "-W", "5", "100.64.0.1").received());

                hosts.left.exec("wg", "set", ct.ifname(), "peer", other, "allowed-ips", "100.64.0.2/32").requireSuccess();
                long before = DaemonCounters.of(ct.ifname()).get("source_not_allowed");
                PingRun.Result claimed = ping(hosts, "claimed", "-c", "5", "-i", "0.2", "-W", "1", "100.64.0.1");
                assertEquals(0, claimed.received(), claimed.output());
                assertEquals(5, DaemonCounters.of(ct.ifname()).get("source_not_allowed") - before);

                hosts.left.exec("wg", "set", ct.ifname(), "peer", other, "remove").requireSuccess();
                assertEquals(3, ping(hosts, "after", "-c", "3", "-i", "0.2", "-W", "2", "100.64.0.1").received());
                assertEquals("198.18.0.2:51821", ct.endpointOf(kw.publicKey()));
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError(e.getMessage() + "\n" + hosts.logs(), e);
            }
        }
    }

    private static PingRun.Result ping(TwoHosts hosts, String name, String... args) throws Exception {
        return PingRun.run(hosts.right, hosts.workDir.resolve("ping-" + name + ".log"), Duration.ofSeconds(30), args);
    }
}
