package io.cryptun.noise.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The per-handshake verbose lines: written when the log shows them, not even built when it does not. */
class HandshakeLogTest {

    /** Records what it is given; shows the levels up to {@code shown}. */
    private static final class Recording implements EventLog {
        final EventLog.Level shown;
        final List<String> lines = new ArrayList<>();
        int asked;

        Recording(EventLog.Level shown) {
            this.shown = shown;
        }

        @Override
        public boolean enabled(Level level) {
            asked++;
            return level.ordinal() <= shown.ordinal();
        }

        @Override
        public synchronized void log(Level level, String message) {
            lines.add(level + " " + message);
        }
    }

    private static List<Recording> handshake(EventLog.Level shown) {
        TestNet net = new TestNet(31);
        Recording la = new Recording(shown);
        Recording lb = new Recording(shown);
        TestNet.Node a = net.nodeWith("a", "198.18.0.1", 1, b -> b.eventLog(la));
        TestNet.Node b = net.nodeWith("b", "198.18.0.2", 2, o -> o.eventLog(lb));
        TestNet.pair(a, "10.0.0.1/32", b, "10.0.0.2/32", null);
        a.sendIp(SamplePackets.udp4("10.0.0.1", "10.0.0.2", 8));
        net.pump();
        assertTrue(a.device.peers().get(0).currentKeypair() != null, "session established");
        return List.of(la, lb);
    }

    @Test
    void aVerboseLogGetsEachStepWithThePeersLabel() {
        List<Recording> logs = handshake(EventLog.Level.VERBOSE);
        String initiator = String.join("\n", logs.get(0).lines);
        String responder = String.join("\n", logs.get(1).lines);
        assertTrue(initiator.matches("(?s).*VERBOSE peer\\([^)]+\\): sending handshake initiation.*"), initiator);
        assertTrue(initiator.matches("(?s).*VERBOSE peer\\([^)]+\\): received handshake response.*"), initiator);
        assertTrue(initiator.contains("): session established (initiator)"), initiator);
        assertTrue(responder.contains("): received handshake initiation"), responder);
        assertTrue(responder.contains("): session established (responder)"), responder);
    }

    @Test
    void anInfoLogIsAskedAndGivenNoVerboseLine() {
        for (Recording log : handshake(EventLog.Level.INFO)) {
            assertTrue(log.asked >= 2, "asked before building: " + log.asked);
            assertEquals(List.of(), log.lines.stream().filter(l -> l.startsWith("VERBOSE")).toList());
        }
    }
}
