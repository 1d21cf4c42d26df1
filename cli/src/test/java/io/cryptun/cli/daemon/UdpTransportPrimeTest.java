package io.cryptun.cli.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A new socket takes its first read at bind, with two datagrams to itself over loopback: they come
 * back (the read path ran) but never reach the receiver, the receiver is prepared once on the event
 * loop before any datagram, and the same bytes from anyone else are a datagram like any other.
 */
class UdpTransportPrimeTest {
    private static final byte[] PRIME_BYTES = "\0\0\0\0cryptun-prime".getBytes(StandardCharsets.US_ASCII);

    @Test
    void theOwnDatagramsComeBackAndAreNotHandedOn() throws Exception {
        LinkedBlockingQueue<byte[]> arrived = new LinkedBlockingQueue<>();
        List<String> events = new CopyOnWriteArrayList<>();
        UdpTransport.Receiver receiver = new UdpTransport.Receiver() {
            @Override
            public void onDatagram(byte[] buf, int off, int len, java.net.InetSocketAddress from) {
                events.add("datagram");
                arrived.add(Arrays.copyOfRange(buf, off, off + len));
            }

            @Override
            public void prepare() {
                events.add("prepare on " + Thread.currentThread().getName());
            }
        };
        UdpTransport t = UdpTransport.open(0, receiver, r -> new Thread(r, "test-prime-rx"));
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (t.warmUpPending() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(0, t.warmUpPending(), "the own datagrams, the warm-up's round trips too, came back through the socket's read path");
            assertEquals(0, UdpLoopbackWarmUp.roundTripsLeftInProcess(),
                    "the process's warm-up round trips were made (by this socket or one before it)");
            assertNull(arrived.poll(100, TimeUnit.MILLISECONDS), "the receiver saw none of them");
            assertEquals(List.of("prepare on test-prime-rx"), events, "prepared once, on the event loop");

            // the same bytes from another socket (another port) are somebody's datagram: handed on
            try (DatagramSocket other = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
                other.send(new DatagramPacket(PRIME_BYTES, PRIME_BYTES.length, InetAddress.getLoopbackAddress(), t.port()));
                byte[] got = arrived.poll(5, TimeUnit.SECONDS);
                assertNotNull(got, "a stranger's datagram with the prime's bytes arrives");
                assertArrayEquals(PRIME_BYTES, got);
            }
            assertTrue(events.get(0).startsWith("prepare"), "prepare came before any datagram");
        } finally {
            t.close();
        }
    }

    /**
     * The round trips warm the JIT's code, which every socket shares: made once in a process, by the
     * first sockets, each sent the way a handshake answer is (a direct send from the event loop); a
     * socket opened later (`wg set listen-port`, just before the first handshake) makes none.
     */
    @Test
    void theRoundTripsAreMadeOncePerProcess() throws Exception {
        UdpTransport.Receiver none = (buf, off, len, from) -> { };
        UdpLoopbackWarmUp.roundTripsLeftInProcess(UdpLoopbackWarmUp.WARM_ROUND_TRIPS);
        UdpTransport first = UdpTransport.open(0, none, r -> new Thread(r, "test-prime-first"));
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (first.warmUpPending() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(0, UdpLoopbackWarmUp.roundTripsLeftInProcess());
            assertEquals(UdpLoopbackWarmUp.WARM_ROUND_TRIPS, first.warmUpRoundTrips());
            // each round trip its own turn of the event loop, as each message of a first handshake:
            // not one long read burst, which would leave the per-wake-up code as cold as before
            assertTrue(first.readBursts() >= UdpLoopbackWarmUp.WARM_ROUND_TRIPS,
                    first.readBursts() + " read bursts for " + UdpLoopbackWarmUp.WARM_ROUND_TRIPS + " round trips");
        } finally {
            first.close();
        }
        UdpTransport later = UdpTransport.open(0, none, r -> new Thread(r, "test-prime-later"));
        try {
            assertEquals(0, later.warmUpPending(), "its two own datagrams are back when open returns");
            Thread.sleep(100);
            assertEquals(0, later.warmUpRoundTrips(), "no round trips on a later socket");
        } finally {
            later.close();
        }
    }
}
