package io.cryptun.tun;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.cryptun.testkit.ExecResult;
import io.cryptun.testkit.Netns;
import io.cryptun.testkit.NetnsExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** TunDevice against the real kernel, each test in its own network namespace. */
@Tag("netns")
class TunDeviceTest {

    private static final String TUN = "cttun0";

    @RegisterExtension
    final NetnsExtension netns = new NetnsExtension();

    private Netns ns;

    @BeforeEach
    void namespace() {
        ns = netns.create("cttun");
    }

    private TunDevice open(String name) throws Exception {
        return ns.callInside(() -> TunDevice.open(name));
    }

    private TunDevice open(String name, TunOptions options) throws Exception {
        return ns.callInside(() -> TunDevice.open(name, options));
    }

    @Test
    void answersIpv4PingWithHandBuiltEchoReplies() throws Exception {
        EchoResponder responder;
        ExecResult ping;
        try (TunDevice tun = open(TUN)) {
            assertEquals(TUN, tun.name());
            ns.addAddress(TUN, "10.213.0.1/24");
            tun.setUp();
            responder = new EchoResponder(tun, false);
            ping = ns.exec("ping", "-c", "3", "-i", "0.2", "-W", "1", "10.213.0.2");
        }
        assertTrue(responder.awaitEnd(10_000), "reader must end when the device closes");
        assertNull(responder.failure());
        assertEquals(-1, responder.lastRead());
        assertEquals(0, ping.exitCode(), ping.stdout() + ping.stderr());
        assertTrue(ping.stdout().contains("3 received"), ping.stdout());
        assertEquals(3, responder.replies());
        assertTrue(ns.exec("ip", "link", "show", TUN).exitCode() != 0, "interface must vanish on close");
    }

    @Test
    void answersIpv6PingThroughTheByteArrayMethods() throws Exception {
        EchoResponder responder;
        ExecResult ping;
        try (TunDevice tun = open(TUN)) {
            ns.addAddress(TUN, "fd00:213::1/64");
            ns.linkUp(TUN);
            responder = new EchoResponder(tun, true);
            ping = ns.exec("ping", "-6", "-c", "3", "-i", "0.2", "-W", "1", "fd00:213::2");
        }
        assertTrue(responder.awaitEnd(10_000));
        assertNull(responder.failure());
        assertEquals(0, ping.exitCode(), ping.stdout() + ping.stderr());
        assertTrue(ping.stdout().contains("3 received"), ping.stdout());
        assertEquals(3, responder.replies());
    }

    @Test
    void mtuMatchesIpLinkBothWays() throws Exception {
        try (TunDevice tun = open(TUN)) {
            assertEquals(ipLinkMtu(), tun.mtu());
            tun.setMtu(1420);
            assertEquals(1420, ipLinkMtu());
            assertEquals(1420, tun.mtu());
            ns.ip("link", "set", "dev", TUN, "mtu", "1280");
            assertEquals(1280, tun.mtu());
            TunException e = assertThrows(TunException.class, () -> tun.setMtu(20));
            assertTrue(e.getMessage().contains("68..65535"), e.getMessage());
            assertEquals(1280, tun.mtu());
        }
    }

    private int ipLinkMtu() {
        String out = ns.ip("link", "show", "dev", TUN).stdout();
        Matcher m = Pattern.compile(" mtu (\\d+) ").matcher(out);
        assertTrue(m.find(), out);
        return Integer.parseInt(m.group(1));
    }

    @Test
    void setUpMatchesIpLink() throws Exception {
        try (TunDevice tun = open(TUN)) {
            assertFalse(tun.isUp());
            assertFalse(ns.ip("link", "show", "dev", TUN).stdout().matches("(?s).*[<,]UP[,>].*"));
            tun.setUp();
            assertTrue(tun.isUp());
            assertTrue(ns.ip("link", "show", "dev", TUN).stdout().matches("(?s).*[<,]UP[,>].*"));
            tun.setUp(); // already up: no change, no error
            assertTrue(tun.isUp());
        }
    }

    @Test
    void closeWakesBlockedReaderAndLaterCallsFailCleanly() throws Exception {
        TunDevice tun = open(TUN);
        AtomicInteger readResult = new AtomicInteger(42);
        AtomicInteger awaitResult = new AtomicInteger(42);
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> {
            try {
                readResult.set(tun.read(ByteBuffer.allocateDirect(2048)));
            } catch (Throwable t) {
                failures.add(t);
            }
        });
        Thread waiter = new Thread(() -> {
            try {
                awaitResult.set(tun.awaitReadable(-1) ? 1 : 0);
            } catch (Throwable t) {
                failures.add(t);
            }
        });
        reader.start();
        waiter.start();
        // The interface is down, so nothing arrives: both threads block until close().
        Thread.sleep(300);
        assertTrue(reader.isAlive() && waiter.isAlive(), "threads should be blocked waiting for a packet");
        tun.close();
        reader.join(5_000);
        waiter.join(5_000);
        assertFalse(reader.isAlive(), "blocked read did not return after close()");
        assertFalse(waiter.isAlive(), "blocked awaitReadable did not return after close()");
        assertTrue(failures.isEmpty(), failures.toString());
        assertEquals(-1, readResult.get());
        assertEquals(0, awaitResult.get());

        assertFalse(tun.isOpen());
        assertEquals(-1, tun.read(ByteBuffer.allocateDirect(2048)));
        assertEquals(-1, tun.tryRead(ByteBuffer.allocateDirect(2048)));
        assertFalse(tun.awaitReadable(0));
        assertThrows(TunClosedException.class, () -> tun.write(new byte[] {0x45, 0, 0, 20}, 0, 4));
        assertThrows(TunClosedException.class, tun::mtu);
        assertThrows(TunClosedException.class, tun::setUp);
        tun.close(); // idempotent
        assertTrue(ns.exec("ip", "link", "show", TUN).exitCode() != 0);
    }

    @Test
    void closeUnderConcurrentReadsAndWritesNeverFailsOtherwise() throws Exception {
        TunDevice tun = open(TUN);
        ns.addAddress(TUN, "10.213.0.1/24");
        tun.setUp();
        InetAddress peer = InetAddress.getByName("10.213.0.2");
        InetAddress self = InetAddress.getByName("10.213.0.1");
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        AtomicInteger written = new AtomicInteger();
        AtomicInteger read = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            threads.add(new Thread(() -> {
                ByteBuffer b = ByteBuffer.allocateDirect(2048);
                try {
                    while (tun.read(b.clear()) >= 0) {
                        read.incrementAndGet();
                    }
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
            int id = i;
            threads.add(new Thread(() -> {
                ByteBuffer b = ByteBuffer.allocateDirect(2048);
                try {
                    for (int seq = 0; ; seq++) {
                        int len = IcmpPackets.ipv4EchoRequest(b.clear(), peer, self, id, seq & 0xffff, 56);
                        tun.write(b.limit(len));
                        written.incrementAndGet();
                    }
                } catch (TunClosedException expected) {
                    // the only way out of the loop
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
        }
        threads.forEach(Thread::start);
        while (read.get() < 200) {
            Thread.sleep(10);
        }
        tun.close();
        for (Thread t : threads) {
            t.join(10_000);
            assertFalse(t.isAlive(), t.getName() + " still running after close()");
        }
        assertTrue(failures.isEmpty(), failures.toString());
        assertTrue(written.get() > 0 && read.get() >= 200);
    }

    @Test
    void kernelRepliesAreReadInBatches() throws Exception {
        try (TunDevice tun = open(TUN)) {
            ns.addAddress(TUN, "10.213.0.1/24");
            tun.setUp();
            InetAddress peer = InetAddress.getByName("10.213.0.2");
            InetAddress self = InetAddress.getByName("10.213.0.1");
            ByteBuffer out = ByteBuffer.allocateDirect(2048);
            for (int seq = 1; seq <= 5; seq++) {
                int len = IcmpPackets.ipv4EchoRequest(out.clear(), peer, self, 0x5151, seq, 32);
                assertEquals(len, tun.write(out.limit(len)));
                assertEquals(len, out.position(), "write advances the position");
            }
            // Mixed direct and heap buffers: both paths must work.
            ByteBuffer[] bufs = new ByteBuffer[8];
            for (int i = 0; i < bufs.length; i++) {
                bufs[i] = i % 2 == 0 ? ByteBuffer.allocateDirect(2048) : ByteBuffer.allocate(2048);
            }
            int[] lengths = new int[bufs.length];
            Set<Integer> seqs = new HashSet<>();
            int batches = 0;
            while (seqs.size() < 5) {
                for (ByteBuffer b : bufs) {
                    b.clear();
                }
                int count = tun.readBatch(bufs, lengths);
                batches++;
                assertTrue(count >= 1 && count <= bufs.length, "count " + count);
                for (int i = 0; i < count; i++) {
                    assertEquals(lengths[i], bufs[i].position(), "position advances by the packet length");
                    ByteBuffer p = bufs[i];
                    if ((p.get(0) & 0xf0) == 0x40 && p.get(9) == IcmpPackets.ICMP) {
                        assertEquals(0, p.get(20), "echo reply");
                        assertEquals(0x5151, IcmpPackets.u16(p, 24));
                        assertTrue(IcmpPackets.ipv4ChecksumsValid(p, lengths[i]));
                        assertArrayEquals(peer.getAddress(), bytes(p, 16, 4));
                        seqs.add(IcmpPackets.u16(p, 26));
                    }
                }
                assertTrue(batches < 50, "replies missing; saw " + seqs);
            }
            assertEquals(Set.of(1, 2, 3, 4, 5), seqs);
        }
    }

    @Test
    void packetsAreReadAndWrittenAtTheBuffersPositionsAndSlices() throws Exception {
        try (TunDevice tun = open(TUN)) {
            ns.addAddress(TUN, "10.213.0.1/24");
            tun.setUp();
            ByteBuffer big = ByteBuffer.allocateDirect(4096);
            ByteBuffer slice = big.position(100).slice();
            ByteBuffer offset = ByteBuffer.allocateDirect(2048);
            // the reply to seq 1 is read into a slice 100 bytes into a buffer, to seq 2 at position 5
            echoAt(tun, 1, slice, 0);
            assertEquals(IcmpPackets.ICMP, big.get(100 + 9), "the reply is in the slice's memory");
            assertEquals(0, big.get(99), "nothing before the slice");
            for (int i = 0; i < 5; i++) {
                offset.put(i, (byte) 0x77);
            }
            echoAt(tun, 2, offset, 5);
            for (int i = 0; i < 5; i++) {
                assertEquals((byte) 0x77, offset.get(i), "bytes before the position untouched");
            }
        }
    }

    /** Writes an echo request from 13 bytes into a direct buffer; reads until its reply, at {@code start} of {@code in}. */
    private static void echoAt(TunDevice tun, int seq, ByteBuffer in, int start) throws Exception {
        InetAddress peer = InetAddress.getByName("10.213.0.2");
        InetAddress self = InetAddress.getByName("10.213.0.1");
        ByteBuffer out = ByteBuffer.allocateDirect(2048);
        for (int i = 0; i < 13; i++) {
            out.put((byte) 0xee);
        }
        int len = IcmpPackets.ipv4EchoRequest(out.slice(), peer, self, 0x6262, seq, 40);
        out.limit(13 + len);
        assertEquals(len, tun.write(out), "written from position 13");
        assertEquals(13 + len, out.position());
        ByteBuffer[] bufs = {in};
        int[] lengths = new int[1];
        for (int reads = 0; reads < 50; reads++) {
            in.clear().position(start);
            assertEquals(1, tun.readBatch(bufs, lengths));
            assertEquals(start + lengths[0], in.position());
            ByteBuffer p = in.duplicate().position(start).slice();
            if ((p.get(0) & 0xf0) == 0x40 && p.get(9) == IcmpPackets.ICMP && p.get(20) == 0) {
                assertEquals(0x6262, IcmpPackets.u16(p, 24));
                assertEquals(seq, IcmpPackets.u16(p, 26));
                assertTrue(IcmpPackets.ipv4ChecksumsValid(p, lengths[0]));
                return;
            }
        }
        throw new AssertionError("no reply to seq " + seq);
    }

    @Test
    void tooSmallBufferIsReportedNotSilentlyTruncated() throws Exception {
        try (TunDevice tun = open(TUN)) {
            ns.addAddress(TUN, "10.213.0.1/24");
            tun.setUp();
            ns.ip("link", "set", "dev", TUN, "mtu", "1400");
            ByteBuffer out = ByteBuffer.allocateDirect(2048);
            int len = IcmpPackets.ipv4EchoRequest(out, InetAddress.getByName("10.213.0.2"),
                    InetAddress.getByName("10.213.0.1"), 7, 1, 300);
            tun.write(out.limit(len));
            ByteBuffer small = ByteBuffer.allocateDirect(100);
            TunException e = null;
            for (int i = 0; i < 20 && e == null; i++) {
                try {
                    int n = tun.read(small.clear());
                    assertTrue((small.get(0) & 0xf0) != 0x40, "the 328-byte reply must not come back truncated: " + n);
                } catch (TunException ex) {
                    e = ex;
                }
            }
            assertTrue(e != null && e.getMessage().contains("328-byte packet") && e.getMessage().contains("did not fit"),
                    String.valueOf(e));
        }
    }

    @Test
    void tooSmallBufferIsReportedWithVnetHeadersToo() throws Exception {
        try (TunDevice tun = open(TUN, TunOptions.defaults().withVnetHeader(true))) {
            ns.addAddress(TUN, "10.213.0.1/24");
            tun.setUp();
            ByteBuffer out = ByteBuffer.allocateDirect(2048);
            out.put(new byte[10]); // virtio-net header: no offload
            int len = IcmpPackets.ipv4EchoRequest(out.slice(), InetAddress.getByName("10.213.0.2"),
                    InetAddress.getByName("10.213.0.1"), 7, 1, 300);
            tun.write(out.position(0).limit(10 + len));
            ByteBuffer small = ByteBuffer.allocateDirect(100);
            TunException e = null;
            for (int i = 0; i < 20 && e == null; i++) {
                try {
                    int n = tun.read(small.clear());
                    assertTrue((small.get(10) & 0xf0) != 0x40, "the 328-byte reply must not come back truncated: " + n);
                } catch (TunException ex) {
                    e = ex;
                }
            }
            assertTrue(e != null && e.getMessage().contains("338-byte packet") && e.getMessage().contains("did not fit")
                    && e.getMessage().contains("10 + 65535"), String.valueOf(e));
        }
    }

    @Test
    void whenNothingIsQueuedTryReadAndTimedWaitReturn() throws Exception {
        try (TunDevice tun = open(TUN)) {
            // Down interface: the kernel sends nothing to it.
            assertEquals(0, tun.tryRead(ByteBuffer.allocateDirect(2048)));
            assertFalse(tun.awaitReadable(50));
            assertFalse(tun.awaitReadable(0));
            ByteBuffer out = ByteBuffer.allocateDirect(2048);
            ns.addAddress(TUN, "10.213.0.1/24");
            tun.setUp();
            int len = IcmpPackets.ipv4EchoRequest(out, InetAddress.getByName("10.213.0.2"),
                    InetAddress.getByName("10.213.0.1"), 9, 1, 8);
            tun.write(out.limit(len));
            assertTrue(tun.awaitReadable(Long.MAX_VALUE), "a queued reply must be seen even with a huge timeout");
        }
    }

    @Test
    void writeErrorsAreExplained() throws Exception {
        try (TunDevice tun = open(TUN)) {
            TunException down = assertThrows(TunException.class,
                    () -> tun.write(new byte[] {0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 2, 10, 0, 0, 1}, 0, 20));
            assertTrue(down.getMessage().contains("down"), down.getMessage());
            tun.setUp();
            TunException notIp = assertThrows(TunException.class, () -> tun.write(new byte[] {0x12, 1, 2, 3}, 0, 4));
            assertTrue(notIp.getMessage().contains("IP version 1"), notIp.getMessage());
            assertEquals(Linux.EINVAL, notIp.errno());
            assertThrows(IllegalArgumentException.class, () -> tun.write(ByteBuffer.allocateDirect(0)));
        }
    }

    @Test
    void deletedInterfaceMakesReadsFailClearly() throws Exception {
        try (TunDevice tun = open(TUN)) {
            ns.ip("link", "del", TUN);
            TunException e = assertThrows(TunException.class, () -> tun.read(ByteBuffer.allocateDirect(2048)));
            assertTrue(e.getMessage().contains("detached"), e.getMessage());
        }
    }

    @Test
    void secondOpenOfTheSameNameIsRefusedClearly() throws Exception {
        try (TunDevice tun = open(TUN)) {
            TunException e = assertThrows(TunException.class, () -> open(TUN));
            assertEquals(Linux.EBUSY, e.errno());
            assertTrue(e.getMessage().startsWith("TUN device name cttun0 is in use"), e.getMessage());
            assertTrue(tun.isOpen());
        }
    }

    @Test
    void nameOfANonTunInterfaceIsRefusedClearly() throws Exception {
        Netns.veth(ns, "cttunveth", ns, "cttunveth2");
        TunException e = assertThrows(TunException.class, () -> open("cttunveth"));
        assertEquals(Linux.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("is not a TUN device"), e.getMessage());
        TunException lo = assertThrows(TunException.class, () -> open("lo"));
        assertEquals(Linux.EINVAL, lo.errno());
    }

    @Test
    void kernelChoosesTheNumberForATemplateName() throws Exception {
        try (TunDevice a = open("cttun%d"); TunDevice b = open("cttun%d")) {
            assertTrue(a.name().matches("cttun\\d+"), a.name());
            assertTrue(b.name().matches("cttun\\d+"), b.name());
            assertFalse(a.name().equals(b.name()));
            ns.ip("link", "show", "dev", b.name());
        }
    }

    @Test
    void multiQueueDeviceOpensExtraQueues() throws Exception {
        TunOptions mq = TunOptions.defaults().withMultiQueue(true);
        try (TunDevice q1 = open(TUN, mq)) {
            try (TunDevice q2 = ns.callInside(q1::openQueue)) {
                assertEquals(TUN, q2.name());
                assertTrue(ns.ip("-d", "link", "show", "dev", TUN).stdout().contains("multi_queue numqueues 2"));
            }
            assertTrue(ns.ip("-d", "link", "show", "dev", TUN).stdout().contains("numqueues 1"));
            TunException e = assertThrows(TunException.class, () -> open(TUN)); // single-queue flags differ
            assertEquals(Linux.EINVAL, e.errno());
        }
        try (TunDevice single = open(TUN)) {
            assertThrows(IllegalStateException.class, single::openQueue);
        }
    }

    @Test
    void vnetHeaderDeviceAcceptsOffloads() throws Exception {
        assertTrue(TunDevice.kernelFeatures().containsAll(
                Set.of(TunFeature.TUN, TunFeature.NO_PI, TunFeature.MULTI_QUEUE, TunFeature.VNET_HDR)));
        try (TunDevice tun = open(TUN, TunOptions.defaults().withVnetHeader(true))) {
            assertTrue(ns.ip("-d", "link", "show", "dev", TUN).stdout().contains("vnet_hdr on"));
            assertTrue(tun.trySetOffload(Set.of(TunOffload.CSUM, TunOffload.TSO4, TunOffload.TSO6)));
            assertTrue(tun.trySetOffload(Set.of()));
            tun.setVnetHeaderSize(12);
            tun.setVnetHeaderSize(10);
            TunException e = assertThrows(TunException.class, () -> tun.setVnetHeaderSize(4));
            assertEquals(Linux.EINVAL, e.errno());
        }
        try (TunDevice plain = open(TUN)) {
            assertThrows(IllegalStateException.class, () -> plain.trySetOffload(Set.of(TunOffload.CSUM)));
        }
    }

    private static byte[] bytes(ByteBuffer b, int at, int n) {
        byte[] r = new byte[n];
        for (int i = 0; i < n; i++) {
            r[i] = b.get(at + i);
        }
        return r;
    }
}
