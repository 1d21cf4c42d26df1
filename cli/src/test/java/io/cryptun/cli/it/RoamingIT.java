package io.cryptun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.testkit.Netns;
import io.cryptun.testkit.NetnsAssumptions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Issue 3, item 3 (roaming both ways), against wireguard-go: the endpoint follows the outer
 * source of the latest authenticated packet. When wireguard-go moves to a new address and port,
 * cryptun follows after one packet (netns.sh scenario 5); when cryptun's own local address goes
 * away, its next packet leaves from the address that remains, so traffic goes on without a gap
 * (wireguard-go's sticky source loses about 15 s here) and wireguard-go follows it.
 */
@Tag("netns")
class RoamingIT {

    @Test
    void cryptunFollowsWireguardGoToANewAddressAndPort() throws Exception {
        NetnsAssumptions.assumeNetns();
        NetnsAssumptions.assumeCommand("wg");
        NetnsAssumptions.assumeCommand("wireguard-go");
        try (TwoHosts hosts = new TwoHosts("ctsmp")) {
            TestKeys kc = TestKeys.generate();
            TestKeys kw = TestKeys.generate();
            CryptunEndpoint ct = new CryptunEndpoint(hosts.left, "ctsmc" + hosts.tag, kc, hosts.workDir);
            WireguardGoEndpoint wg = new WireguardGoEndpoint(hosts.right, "ctsmw" + hosts.tag, kw, hosts.workDir);
            try (ct; wg) {
                ct.start(51820, List.of(new Endpoint.PeerSpec(kw.publicKey(), null, "198.18.0.2:51821",
                        List.of("100.64.0.2/32"), 0)), List.of("100.64.0.1/24"));
                wg.start(51821, List.of(new Endpoint.PeerSpec(kc.publicKey(), null, "198.18.0.1:51820",
                        List.of("100.64.0.1/32"), 0)), List.of("100.64.0.2/24"));
                assertPings(hosts, hosts.left, "start", "100.64.0.2");
                assertEquals("198.18.0.2:51821", ct.endpointOf(kw.publicKey()));

                // wireguard-go's host gets a new IPv4 address, loses the old one, and wireguard-go a new port
                hosts.right.exec("sysctl", "-q", "-w", "net.ipv4.conf.ur.promote_secondaries=1").requireSuccess();
                hosts.right.addAddress("ur", "198.18.0.12/24");
                hosts.right.ip("address", "del", "198.18.0.2/24", "dev", "ur");
                hosts.right.exec("wg", "set", wg.ifname(), "listen-port", "51831").requireSuccess();
                // one authenticated packet from there, and cryptun answers there
                assertPings(hosts, hosts.right, "moved4", "100.64.0.1");
                assertEquals("198.18.0.12:51831", ct.endpointOf(kw.publicKey()));
                assertPings(hosts, hosts.left, "moved4back", "100.64.0.2");

                // and on to IPv6, from a new address too
                hosts.right.addAddress("ur", "fd00:a::12/64");
                hosts.right.ip("address", "del", "fd00:a::2/64", "dev", "ur");
                hosts.right.exec("wg", "set", wg.ifname(), "peer", kc.publicKey(), "endpoint", "[fd00:a::1]:51820")
                        .requireSuccess();
                assertPings(hosts, hosts.right, "moved6", "100.64.0.1");
                assertEquals("[fd00:a::12]:51831", ct.endpointOf(kw.publicKey()));
                assertPings(hosts, hosts.left, "moved6back", "100.64.0.2");
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError(e.getMessage() + "\n" + hosts.logs(), e);
            }
        }
    }

    /**
     * cryptun pings every 0.2 s while the local address its packets leave from is deleted; another
     * address on the same link remains. At most the echo in flight at that moment may be lost.
     */
    @ParameterizedTest(name = "underlay IPv{0}")
    @ValueSource(ints = {4, 6})
    void cryptunKeepsSendingWhenItsLocalAddressGoesAway(int family) throws Exception {
        NetnsAssumptions.assumeNetns();
        NetnsAssumptions.assumeCommand("wg");
        NetnsAssumptions.assumeCommand("wireguard-go");
        try (TwoHosts hosts = new TwoHosts("ctsml")) {
            TestKeys kc = TestKeys.generate();
            TestKeys kw = TestKeys.generate();
            CryptunEndpoint ct = new CryptunEndpoint(hosts.left, "ctsmc" + hosts.tag, kc, hosts.workDir);
            WireguardGoEndpoint wg = new WireguardGoEndpoint(hosts.right, "ctsmw" + hosts.tag, kw, hosts.workDir);
            try (ct; wg) {
                // a second address on cryptun's link; deleting a primary IPv4 address would take the
                // secondaries with it unless they are promoted
                hosts.left.exec("sysctl", "-q", "-w", "net.ipv4.conf.ul.promote_secondaries=1").requireSuccess();
                String second = family == 6 ? "fd00:a::11" : "198.18.0.11";
                hosts.left.addAddress("ul", second + (family == 6 ? "/64" : "/24"));
                ct.start(51820, List.of(new Endpoint.PeerSpec(kw.publicKey(), null,
                        TwoHosts.endpoint(hosts.rightUnderlay(family), 51821), List.of("100.64.0.2/32"), 0)),
                        List.of("100.64.0.1/24"));
                wg.start(51821, List.of(new Endpoint.PeerSpec(kc.publicKey(), null, null, List.of("100.64.0.1/32"), 0)),
                        List.of("100.64.0.2/24"));
                assertPings(hosts, hosts.left, "start", "100.64.0.2");
                // the address cryptun's packets leave from is the kernel's choice: whichever it is goes away
                String used = host(wg.endpointOf(kc.publicKey()));
                String remaining = used.equals(second) ? hosts.leftUnderlay(family) : second;
                assertTrue(used.equals(second) || used.equals(hosts.leftUnderlay(family)), used);

                PingRun run = PingRun.start(hosts.left, hosts.workDir.resolve("ping-roam.log"),
                        "-c", "40", "-i", "0.2", "-W", "1", "100.64.0.2");
                Thread.sleep(3000);
                hosts.left.ip("address", "del", used + (family == 6 ? "/64" : "/24"), "dev", "ul");
                PingRun.Result r = run.await(Duration.ofSeconds(30));
                System.out.println("RoamingIT IPv" + family + ": cryptun's local address " + used + " deleted"
                        + " during a ping every 0.2 s: " + r.summary());
                assertTrue(r.lostCount() <= 1, "echoes lost around the address change: " + r.summary() + "\n" + r.output());
                // wireguard-go follows cryptun to the address that remains, and answers there
                assertEquals(TwoHosts.endpoint(remaining, 51820), wg.endpointOf(kc.publicKey()));
                assertPings(hosts, hosts.right, "back", "100.64.0.1");
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError(e.getMessage() + "\n" + hosts.logs(), e);
            }
        }
    }

    private static String host(String endpoint) {
        String h = endpoint.substring(0, endpoint.lastIndexOf(':'));
        return h.startsWith("[") ? h.substring(1, h.length() - 1) : h;
    }

    private static void assertPings(TwoHosts hosts, Netns from, String name, String to) throws Exception {
        PingRun.Result r = PingRun.run(from, hosts.workDir.resolve("ping-" + name + ".log"), Duration.ofSeconds(30),
                "-c", "3", "-i", "0.2", "-W", "5", to);
        assertEquals(3, r.received(), "ping " + to + " from " + from.name() + " (" + name + "): " + r.output());
    }
}
