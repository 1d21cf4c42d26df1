package io.cryptun.cli.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.testkit.ExecResult;
import io.cryptun.testkit.NetnsAssumptions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * cryptun against the real wireguard-go, and against itself, in namespaces: each side initiating
 * (the other has no endpoint, so it cannot), with and without a pre-shared key, over an IPv4 and
 * an IPv6 underlay; IPv4 and IPv6 inside, pings both ways, a full 1420-byte inner packet.
 */
@Tag("netns")
class InteropIT {

    static Stream<Arguments> matrix() {
        List<Arguments> out = new ArrayList<>();
        for (String pair : new String[] {"cryptun-wggo", "wggo-cryptun", "cryptun-cryptun"}) {
            for (int underlay : new int[] {4, 6}) {
                for (boolean psk : new boolean[] {true, false}) {
                    out.add(Arguments.of(pair, underlay, psk));
                }
            }
        }
        return out.stream();
    }

    /** {@code pair} is initiator-responder: the initiator pings first and the responder has no endpoint. */
    @ParameterizedTest(name = "{0} underlay=IPv{1} psk={2}")
    @MethodSource("matrix")
    void tunnelCarriesTrafficBothWays(String pair, int underlay, boolean psk) throws Exception {
        NetnsAssumptions.assumeNetns();
        NetnsAssumptions.assumeCommand("wg");
        if (pair.contains("wggo")) {
            NetnsAssumptions.assumeCommand("wireguard-go");
        }
        String[] kinds = pair.split("-");
        try (TwoHosts hosts = new TwoHosts("ctio")) {
            TestKeys ki = TestKeys.generate();
            TestKeys kr = TestKeys.generate();
            String sharedPsk = psk ? TestKeys.psk() : null;
            Endpoint initiator = make(kinds[0], hosts, true, ki);
            Endpoint responder = make(kinds[1], hosts, false, kr);
            try (initiator; responder) {
                responder.start(51821, List.of(new Endpoint.PeerSpec(ki.publicKey(), sharedPsk, null,
                        List.of("100.64.0.1/32", "fd99::1/128"), 0)), List.of("100.64.0.2/24", "fd99::2/64"));
                initiator.start(51820, List.of(new Endpoint.PeerSpec(kr.publicKey(), sharedPsk,
                        TwoHosts.endpoint(hosts.rightUnderlay(underlay), 51821),
                        List.of("100.64.0.2/32", "fd99::2/128"), 0)), List.of("100.64.0.1/24", "fd99::1/64"));

                // the first ping carries the handshake
                ping(hosts, hosts.left, "-c", "1", "-W", "5", "100.64.0.2");
                ping(hosts, hosts.left, "-c", "2", "-i", "0.2", "-W", "2", "fd99::2");
                ping(hosts, hosts.right, "-c", "2", "-i", "0.2", "-W", "2", "100.64.0.1");
                ping(hosts, hosts.right, "-c", "2", "-i", "0.2", "-W", "2", "fd99::1");
                // full-size inner packets, not fragmented: 1392 + 8 + 20 = 1420 and 1372 + 8 + 40 = 1420
                ping(hosts, hosts.left, "-c", "2", "-i", "0.2", "-W", "2", "-M", "do", "-s", "1392", "100.64.0.2");
                ping(hosts, hosts.right, "-c", "2", "-i", "0.2", "-W", "2", "-M", "do", "-s", "1372", "fd99::1");

                assertTrue(initiator.latestHandshake(kr.publicKey()) > 0, "initiator saw a handshake");
                assertTrue(responder.latestHandshake(ki.publicKey()) > 0, "responder saw a handshake");
                // the responder learned the initiator's endpoint from its packets (roaming)
                String learned = responder.endpointOf(ki.publicKey());
                assertTrue(learned.equals(TwoHosts.endpoint(hosts.leftUnderlay(underlay), 51820)),
                        "responder's endpoint for the initiator: " + learned + "\n" + hosts.logs());
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError(e.getMessage() + "\n" + hosts.logs(), e);
            }
        }
    }

    private static Endpoint make(String kind, TwoHosts hosts, boolean left, TestKeys keys) {
        String name = (kind.equals("wggo") ? "wg" : "ct") + (left ? "i" : "r") + hosts.tag;
        return kind.equals("wggo")
                ? new WireguardGoEndpoint(left ? hosts.left : hosts.right, name, keys, hosts.workDir)
                : new CryptunEndpoint(left ? hosts.left : hosts.right, name, keys, hosts.workDir);
    }

    private static void ping(TwoHosts hosts, io.cryptun.testkit.Netns from, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("ping");
        cmd.add("-n");
        cmd.addAll(List.of(args));
        ExecResult r = from.exec(cmd.toArray(new String[0]));
        assertTrue(r.succeeded(), "ping " + String.join(" ", args) + " from " + from.name() + " failed:\n"
                + r.stdout() + r.stderr());
    }
}
