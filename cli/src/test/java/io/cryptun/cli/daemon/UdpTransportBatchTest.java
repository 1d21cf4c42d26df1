package io.cryptun.cli.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The send batch between real sockets on loopback: a datagram alone in its burst (sent straight
 * from the batch's own memory), runs of equal datagrams (one segmented send), and the switches
 * between them, each datagram arriving once and intact, in order.
 */
class UdpTransportBatchTest {
    private final LinkedBlockingQueue<byte[]> arrived = new LinkedBlockingQueue<>();
    private final LinkedBlockingQueue<byte[]> arrivedAtOther = new LinkedBlockingQueue<>();
    private UdpTransport receiver;
    private UdpTransport otherReceiver;
    private UdpTransport sender;
    private InetSocketAddress to;
    private InetSocketAddress toOther;

    @BeforeEach
    void open() throws Exception {
        receiver = UdpTransport.open(0, (buf, off, len, from) -> arrived.add(Arrays.copyOfRange(buf, off, off + len)),
                r -> new Thread(r, "test-udp-rx"));
        otherReceiver = UdpTransport.open(0, (buf, off, len, from) -> arrivedAtOther.add(Arrays.copyOfRange(buf, off, off + len)),
                r -> new Thread(r, "test-udp-rx2"));
        sender = UdpTransport.open(0, (buf, off, len, from) -> { }, r -> new Thread(r, "test-udp-tx"));
        to = new InetSocketAddress(InetAddress.getLoopbackAddress(), receiver.port());
        toOther = new InetSocketAddress(InetAddress.getLoopbackAddress(), otherReceiver.port());
    }

    @AfterEach
    void close() {
        sender.close();
        receiver.close();
        otherReceiver.close();
    }

    private static byte[] datagram(int seq, int len) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = (byte) (seq * 31 + i);
        }
        b[0] = (byte) seq;
        return b;
    }

    private void expect(LinkedBlockingQueue<byte[]> queue, List<byte[]> sent) throws InterruptedException {
        for (byte[] want : sent) {
            byte[] got = queue.poll(5, TimeUnit.SECONDS);
            assertTrue(got != null, "datagram " + want[0] + " of " + want.length + " bytes did not arrive");
            assertArrayEquals(want, got, "datagram " + want[0]);
        }
        assertEquals(null, queue.poll(200, TimeUnit.MILLISECONDS), "nothing more, nothing twice");
    }

    @Test
    void aLoneDatagramGoesOutIntactAndTheNextBurstStartsFresh() throws Exception {
        UdpSendBatch batch = sender.newBatch();
        List<byte[]> sent = new ArrayList<>();
        for (int seq = 1; seq <= 3; seq++) {
            byte[] d = datagram(seq, seq == 2 ? 148 : 96);
            assertTrue(batch.add(to, d, 0, d.length));
            batch.flush();
            sent.add(d);
        }
        expect(arrived, sent);
    }

    @Test
    void aRunOfEqualDatagramsArrivesAsSeparateDatagramsInOrder() throws Exception {
        UdpSendBatch batch = sender.newBatch();
        List<byte[]> sent = new ArrayList<>();
        for (int seq = 1; seq <= 20; seq++) {
            // the last one shorter: it ends the run
            byte[] d = datagram(seq, seq == 20 ? 700 : 1452);
            byte[] framed = new byte[d.length + 16];
            System.arraycopy(d, 0, framed, 8, d.length);
            assertTrue(batch.add(to, framed, 8, d.length));
            sent.add(d);
        }
        batch.flush();
        expect(arrived, sent);
    }

    @Test
    void theFirstDatagramOfABurstIsKeptWhenOthersJoinItOrGoElsewhere() throws Exception {
        UdpSendBatch batch = sender.newBatch();
        byte[] first = datagram(1, 1452);
        byte[] second = datagram(2, 1452);
        byte[] elsewhere = datagram(3, 200);
        byte[] third = datagram(4, 1452);
        batch.add(to, first, 0, first.length);
        batch.add(to, second, 0, second.length);
        batch.add(toOther, elsewhere, 0, elsewhere.length);
        batch.add(to, third, 0, third.length);
        batch.flush();
        expect(arrived, List.of(first, second, third));
        expect(arrivedAtOther, List.of(elsewhere));

        // a lone datagram to the other socket after a mixed burst
        byte[] lone = datagram(5, 64);
        batch.add(toOther, lone, 0, lone.length);
        batch.flush();
        expect(arrivedAtOther, List.of(lone));
    }

    @Test
    void runMemoryComesBackAndIsUsedAgainAndRunsBeyondItStillArriveIntact() throws Exception {
        UdpSendBatch batch = sender.newBatch();
        // one burst after another: the memory of a sent run takes the next one
        for (int burst = 0; burst < 40; burst++) {
            List<byte[]> sent = new ArrayList<>();
            for (int seq = 1; seq <= 30; seq++) {
                byte[] d = datagram(burst * 30 + seq, 1452);
                assertTrue(batch.add(to, d, 0, d.length));
                sent.add(d);
            }
            batch.flush();
            expect(arrived, sent);
        }
        assertTrue(sender.runMemoryMade() <= 3, "run memory reused, not made again: made " + sender.runMemoryMade());
        // more runs in flight at once than memory is kept for: the rest from the allocator, all intact
        List<byte[]> sent = new ArrayList<>();
        for (int burst = 0; burst < 12; burst++) {
            for (int seq = 1; seq <= 20; seq++) {
                byte[] d = datagram(burst * 20 + seq, 1200);
                batch.add(to, d, 0, d.length);
                sent.add(d);
            }
            batch.flush();
        }
        expect(arrived, sent);
        assertTrue(sender.runMemoryMade() <= 8, "made " + sender.runMemoryMade());
    }

    @Test
    void eachDatagramIsReportedFromItsOwnSenderAsIpv4() throws Exception {
        LinkedBlockingQueue<InetSocketAddress> senders = new LinkedBlockingQueue<>();
        try (UdpTransport rx = UdpTransport.open(0, (buf, off, len, from) -> senders.add(from), r -> new Thread(r, "test-udp-from"));
                UdpTransport other = UdpTransport.open(0, (buf, off, len, from) -> { }, r -> new Thread(r, "test-udp-tx2"))) {
            InetSocketAddress target = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), rx.port());
            UdpTransport[] order = {sender, sender, other, sender, other, other};
            for (UdpTransport s : order) {
                byte[] d = datagram(1, 48);
                assertTrue(s.send(target, d, 0, d.length));
                InetSocketAddress from = senders.poll(5, TimeUnit.SECONDS);
                assertTrue(from != null, "arrived");
                assertEquals(s.port(), from.getPort(), "the sender of this datagram, not the last one's");
                assertTrue(from.getAddress() instanceof java.net.Inet4Address, "IPv4 as wg shows it: " + from);
                assertEquals("127.0.0.1", from.getAddress().getHostAddress());
            }
        }
    }

    /**
     * The first batch of a socket is made when the socket opens: the first packet after `wg set
     * listen-port` (a handshake initiation, from the TUN reader) does not wait for its direct memory.
     * Later ones are new.
     */
    @Test
    void theFirstBatchIsMadeWithTheSocketAndLaterOnesAreNew() throws Exception {
        java.lang.management.BufferPoolMXBean direct = java.lang.management.ManagementFactory
                .getPlatformMXBeans(java.lang.management.BufferPoolMXBean.class).stream()
                .filter(p -> p.getName().equals("direct")).findFirst().orElseThrow();
        long before = direct.getMemoryUsed();
        UdpSendBatch first = sender.newBatch();
        long afterFirst = direct.getMemoryUsed();
        UdpSendBatch second = sender.newBatch();
        long afterSecond = direct.getMemoryUsed();
        assertTrue(first != second, "a batch is handed out once");
        assertEquals(before, afterFirst, "the first batch's memory was there already");
        assertTrue(afterSecond - afterFirst >= 65535, "a later batch makes its own: " + (afterSecond - afterFirst));
        // and the one made early works
        byte[] d = datagram(1, 148);
        assertTrue(first.add(to, d, 0, d.length));
        first.flush();
        expect(arrived, List.of(d));
    }
}
