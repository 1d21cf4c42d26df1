package io.cryptun.cli.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.tun.TunDevice;
import io.cryptun.tun.TunOptions;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The daemon-pair warm-up never waits long on a path that does not carry: a warm-up must not hang a start. */
class PairWarmUpTest {

    @Test
    void nothingComingBackEndsTheRunAfterTheFirstBurst() throws Exception {
        TunDevice[] a = TunDevice.socketPair("a", TunOptions.defaults().withVnetHeader(true), Set.of());
        TunDevice[] b = TunDevice.socketPair("b", TunOptions.defaults().withVnetHeader(true), Set.of());
        try {
            PairWarmUp.Result r = assertTimeoutPreemptively(Duration.ofSeconds(5),
                    () -> PairWarmUp.exchange(100_000, a[1], b[1]));
            assertEquals(0, r.packetsDelivered(), r.toString());
            assertTrue(r.packetsWritten() > 0 && r.packetsWritten() < 100, r.toString());
        } finally {
            close(a, b);
        }
    }

    /** A path that carried and then stopped (a relay that quits after 40 packets): the run ends, bounded. */
    @Test
    void aPathThatStopsCarryingEndsTheRun() throws Exception {
        TunDevice[] a = TunDevice.socketPair("a", TunOptions.defaults().withVnetHeader(true), Set.of());
        TunDevice[] b = TunDevice.socketPair("b", TunOptions.defaults().withVnetHeader(true), Set.of());
        Thread relay = new Thread(() -> {
            ByteBuffer buf = ByteBuffer.allocateDirect(70_000);
            try {
                for (int i = 0; i < 40; i++) {
                    buf.clear();
                    if (a[0].read(buf) <= 0) {
                        return;
                    }
                    buf.flip();
                    b[0].write(buf);
                }
            } catch (java.io.IOException e) {
                // closed at the end of the test
            }
        });
        relay.start();
        try {
            PairWarmUp.Result r = assertTimeoutPreemptively(Duration.ofSeconds(10),
                    () -> PairWarmUp.exchange(10_000_000, a[1], b[1]));
            assertTrue(r.packetsDelivered() >= 40 && r.packetsDelivered() < r.packetsWritten(), r.toString());
        } finally {
            close(a, b);
            relay.join(5000);
        }
    }

    private static void close(TunDevice[]... pairs) {
        for (TunDevice[] p : pairs) {
            p[0].close();
            p[1].close();
        }
    }
}
