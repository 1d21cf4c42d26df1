package io.cryptun.cli.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The start-up warm-up: what it runs, and which one an interface waits for. */
class StartupWarmUpTest {

    /** It carries datagrams through the native UDP transport on loopback, not only handshakes in memory. */
    @Test
    void theWarmUpCarriesLoopbackDatagrams() {
        int received = StartupWarmUp.runAll(4, 0, "auto");
        assertTrue(received > 0 && received <= 32, "loopback datagrams received: " + received);
    }

    /** With packets for the daemon pair, those go through two real daemons over loopback instead. */
    @Test
    void theWarmUpCanCarryPacketsThroughADaemonPair() {
        int received = StartupWarmUp.runAll(4, 500, "auto");
        assertTrue(received >= 500 * 95 / 100 && received < 500 + 64, "packets received over loopback: " + received);
    }

    /**
     * The end-to-end part runs a daemon's whole packet path: every packet written into A's device
     * is handshaken, sealed, sent, opened and written out of B's, small ones and TCP super-packets,
     * and the receiving side merges segments back (fewer reads than packets) as it does for TCP.
     */
    @Test
    void theDaemonPairDeliversEveryPacketThroughTheRealPath() throws Exception {
        PairWarmUp.Result r = PairWarmUp.run(600, "auto");
        assertTrue(r.packetsWritten() >= 600, r.toString());
        // all of them, but a last burst still on its way when the run stops waiting (a slow CI host)
        assertTrue(r.packetsDelivered() >= r.packetsWritten() * 95 / 100
                && r.packetsDelivered() <= r.packetsWritten(), r.toString());
        // 600 packets hold at least three TCP super-packets of 44 segments (one in every 8 bursts of
        // 16): each comes out merged again, one read instead of 44
        assertTrue(r.readsDelivered() <= r.packetsDelivered() - 3 * 43, r.toString());
    }

    /**
     * The offload part splits real TSO super-packets and merges the segments back: every byte comes
     * out, as super-packets (so the checksums it made were right and the coalescer merged them); the
     * packets that are not TCP come out as they went in.
     */
    @Test
    void theOffloadPartSplitsAndMergesATcpStream() throws Exception {
        OffloadWarmUp.Result r = OffloadWarmUp.run(10);
        assertEquals(0, r.checksumFailures());
        // each super-packet's segments merge back into one: 10 plain ones (44 segments), and in rounds
        // 0 and 8 three timestamped sends of 20 that stay three (their options differ, the second
        // ends short, the third comes after a closed run), the second one byte short
        // (and there a second plain one: 88 segments, more than one TUN write takes, so two again)
        int variantRounds = 2;
        assertEquals(10 + 4 * variantRounds, r.superPacketsWritten(), r.toString());
        long payload = (10L + variantRounds) * 44 * 1380 + variantRounds * (3L * 20 * 1368 - 1);
        long headers = (10 + variantRounds) * (10 + 40) + 3 * variantRounds * (10 + 52);
        assertTrue(r.bytesWritten() >= payload && r.bytesWritten() <= payload + headers, r.toString());
        // and each round's ping alone, then a burst of UDP over IPv4 and IPv6 and a ping, and the
        // variant rounds' 4 pure ACKs: written one by one
        assertEquals(10 * 4 + variantRounds * 4, r.otherPacketsWritten(), r.toString());
    }

    /** The warm-up started with the process is the one the interface waits for, when it warms the same backend. */
    @Test
    void anInterfaceTakesTheEarlyWarmUpOfItsBackend() throws InterruptedException {
        StartupWarmUp.beginEarly("auto");
        StartupWarmUp w = StartupWarmUp.forInterface(StartupWarmUp.DEFAULT_HANDSHAKES, "auto");
        assertTrue(w.awaitDone(60_000), "finished");
        assertNull(w.failure());
        assertTrue(w.tookMillis() >= 0);
        // the round trips after the collection were its sockets' (or none): the daemon's next socket,
        // opened just before a first handshake, makes none
        assertEquals(0, UdpLoopbackWarmUp.roundTripsLeftInProcess());
        // taken: the next interface starts its own
        StartupWarmUp next = StartupWarmUp.forInterface(0, "auto");
        assertNotSame(w, next);
        assertTrue(next.awaitDone(1), "no warm-up: nothing to wait for");
        assertEquals(-1, next.tookMillis());

        StartupWarmUp.beginEarly("auto");
        StartupWarmUp other = StartupWarmUp.forInterface(1, "bc");
        assertTrue(other.awaitDone(60_000));
        assertNull(other.failure(), "a warm-up of its own backend");
        StartupWarmUp.forInterface(0, "auto").awaitDone(60_000);
    }

    @Test
    void noWarmUpWhenTheCountIsZero() throws InterruptedException {
        StartupWarmUp w = StartupWarmUp.begin(0, "auto");
        assertTrue(w.awaitDone(0));
        assertSame(null, w.failure());
    }
}
