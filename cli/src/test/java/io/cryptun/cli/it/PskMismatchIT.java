package io.cryptun.cli.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.cli.CommandRunner;
import io.cryptun.testkit.NetnsAssumptions;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Two cryptun peers whose pre-shared keys differ never carry traffic, and the initiator's
 * `cryptun show` says why its handshakes fail.
 */
@Tag("netns")
class PskMismatchIT {
    @Test
    void mismatchedPresharedKeysAreRefusedAndExplained() throws Exception {
        NetnsAssumptions.assumeNetns();
        NetnsAssumptions.assumeCommand("wg");
        try (TwoHosts hosts = new TwoHosts("ctpk")) {
            TestKeys ki = TestKeys.generate();
            TestKeys kr = TestKeys.generate();
            CryptunEndpoint initiator = new CryptunEndpoint(hosts.left, "cti" + hosts.tag, ki, hosts.workDir);
            CryptunEndpoint responder = new CryptunEndpoint(hosts.right, "ctr" + hosts.tag, kr, hosts.workDir);
            try (initiator; responder) {
                responder.start(51821, List.of(new Endpoint.PeerSpec(ki.publicKey(), TestKeys.psk(), null,
                        List.of("100.64.0.1/32"), 0)), List.of("100.64.0.2/24"));
                initiator.start(51820, List.of(new Endpoint.PeerSpec(kr.publicKey(), TestKeys.psk(), "198.18.0.2:51821",
                        List.of("100.64.0.2/32"), 0)), List.of("100.64.0.1/24"));
                assertFalse(hosts.left.exec("ping", "-n", "-c", "2", "-W", "2", "100.64.0.2").succeeded(),
                        "traffic crossed a tunnel whose two ends have different pre-shared keys");
                CommandRunner.Result show = CommandRunner.run("", "show", initiator.ifname());
                assertTrue(show.stdout().contains("handshake failing: response did not authenticate (pre-shared keys differ?)"),
                        show.stdout() + show.stderr());
                CommandRunner.Result json = CommandRunner.run("", "show", initiator.ifname(), "--json");
                assertTrue(json.stdout().contains("\"handshake_failure\": \"response did not authenticate"), json.stdout());
                assertTrue(initiator.latestHandshake(kr.publicKey()) == 0, "no handshake completed");
            }
        }
    }
}
