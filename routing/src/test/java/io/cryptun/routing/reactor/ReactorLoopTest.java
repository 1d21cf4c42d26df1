package io.cryptun.routing.reactor;

import io.cryptun.noise.crypto.Keys;
import io.cryptun.noise.device.EventLog;
import io.cryptun.routing.CryptMode;
import io.cryptun.routing.CryptunRecord;
import io.cryptun.routing.Fixtures;
import io.cryptun.routing.NodeId;
import io.cryptun.routing.bmx7.Bmx7ControlClient;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reactor on its thread, driven by file changes in a real directory. */
class ReactorLoopTest {
    private static final NodeId C = NodeId.parse(Fixtures.C);

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void changesWrittenTheWayBmx7WritesThemAreFollowedAndCloseWithdraws() throws Exception {
        try (RuntimeDir dir = RuntimeDir.fromFixtures(); RecordingBmx7 bmx7 = new RecordingBmx7(dir.root)) {
            MeshConfig c = MeshConfig.of(dir.root, CryptunRecord.parse(Fixtures.bytes("sms/sendSms/cryptun")),
                    CryptMode.REQUIRE, List.of(io.cryptun.routing.TunnelSearch.of("v4any",
                            io.cryptun.noise.allowedips.IpPrefix.parse("10.0.0.0/8"))), List.of());
            MemoryPeerTable peers = new MemoryPeerTable();
            MemoryRouteTable routes = new MemoryRouteTable();
            MeshReactor reactor = new MeshReactor(c, Bmx7Feed.json(c), peers, routes,
                    new Bmx7ControlClient(c.socketPath(), Duration.ofSeconds(5)), EventLog.SILENT);
            ReactorLoop loop = ReactorLoop.start(reactor, EventLog.SILENT);
            try {
                await("C and D are peers", () -> reactor.installedPeers().size() == 2);
                String newKey = Keys.toBase64(new byte[] {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
                    9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9});
                dir.deleteSms(C);
                dir.createEmptySms(C);
                dir.writeSms(C, "v=1 key=" + newKey + " port=51820 tun4=10.254.3.1/32\n");
                await("C's new key is installed", () -> reactor.installedPeers().containsKey(newKey));
                await("C's old key is gone", () -> reactor.installedPeers().size() == 2);
                assertTrue(Files.exists(dir.sendSms()));
            } finally {
                loop.close();
            }
            assertFalse(Files.exists(dir.sendSms()), "closing withdraws the record");
            assertEquals(0, reactor.installedPeers().size());
            assertTrue(bmx7.requests().contains("syncSms=-cryptun"), bmx7.requests().toString());
        }
    }
}
