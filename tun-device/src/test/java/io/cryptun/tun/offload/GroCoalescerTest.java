package io.cryptun.tun.offload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class GroCoalescerTest {

    private static final String A4 = "192.0.2.1";
    private static final String B4 = "192.0.2.2";
    private static final String C4 = "192.0.2.3";
    private static final String A6 = "2001:db8::1";
    private static final String B6 = "2001:db8::2";
    private static final String C6 = "2001:db8::3";

    /** Records every write as a copy. */
    static final class Recorder implements GroCoalescer.TunWriter {
        final List<byte[]> writes = new ArrayList<>();

        @Override
        public void write(byte[] buf, int off, int len) {
            writes.add(Arrays.copyOfRange(buf, off, off + len));
        }

        List<Integer> ipLengths() {
            List<Integer> l = new ArrayList<>();
            for (byte[] w : writes) {
                l.add(w.length - VirtioNetHeader.SIZE);
            }
            return l;
        }
    }

    private static Recorder coalesce(boolean udpGro, Pkt... packets) throws IOException {
        GroCoalescer c = new GroCoalescer(128, udpGro);
        for (Pkt p : packets) {
            byte[] b = p.build();
            assertTrue(c.add(b, p.headroom, b.length - p.headroom));
        }
        Recorder r = new Recorder();
        assertEquals(c.flush(r), r.writes.size());
        assertEquals(0, c.size());
        return r;
    }

    private static Pkt mutate(Pkt p, Consumer<Pkt> change) {
        change.accept(p);
        return p;
    }

    private static Pkt badChecksum(Pkt p) {
        p.badChecksum = true;
        return p;
    }

    // ---------------------------------------------------------------- wireguard-go's Test_handleGRO

    private static Pkt[] multipleProtocolsAndFlows() {
        return new Pkt[] {
            Pkt.tcp4(A4, B4, Pkt.ACK, 100, 1),     // tcp4 flow 1
            Pkt.udp4(A4, B4, 100),                 // udp4 flow 1
            Pkt.udp4(A4, C4, 100),                 // udp4 flow 2
            Pkt.tcp4(A4, B4, Pkt.ACK, 100, 101),   // tcp4 flow 1
            Pkt.tcp4(A4, C4, Pkt.ACK, 100, 201),   // tcp4 flow 2
            Pkt.tcp6(A6, B6, Pkt.ACK, 100, 1),     // tcp6 flow 1
            Pkt.tcp6(A6, B6, Pkt.ACK, 100, 101),   // tcp6 flow 1
            Pkt.tcp6(A6, C6, Pkt.ACK, 100, 201),   // tcp6 flow 2
            Pkt.udp4(A4, B4, 100),                 // udp4 flow 1
            Pkt.udp6(A6, B6, 100),                 // udp6 flow 1
            Pkt.udp6(A6, B6, 100),                 // udp6 flow 1
        };
    }

    @Test
    void multipleProtocolsAndFlows_withUdpGro() throws Exception {
        assertEquals(List.of(240, 228, 128, 140, 260, 160, 248), coalesce(true, multipleProtocolsAndFlows()).ipLengths());
    }

    @Test
    void multipleProtocolsAndFlows_withoutUdpGro() throws Exception {
        assertEquals(List.of(240, 128, 128, 140, 260, 160, 128, 148, 148),
                coalesce(false, multipleProtocolsAndFlows()).ipLengths());
    }

    @Test
    void pshInterleaved() throws Exception {
        Recorder r = coalesce(true,
                Pkt.tcp4(A4, B4, Pkt.ACK, 100, 1),
                Pkt.tcp4(A4, B4, Pkt.ACK | Pkt.PSH, 100, 101),
                Pkt.tcp4(A4, B4, Pkt.ACK, 100, 201),
                Pkt.tcp4(A4, B4, Pkt.ACK, 100, 301),
                Pkt.tcp6(A6, B6, Pkt.ACK, 100, 1),
                Pkt.tcp6(A6, B6, Pkt.ACK | Pkt.PSH, 100, 101),
                Pkt.tcp6(A6, B6, Pkt.ACK, 100, 201),
                Pkt.tcp6(A6, B6, Pkt.ACK, 100, 301));
        assertEquals(List.of(240, 240, 260, 260), r.ipLengths());
        assertEquals(Pkt.ACK | Pkt.PSH, r.writes.get(0)[10 + 33] & 0xff, "PSH of the last segment kept");
        assertEquals(Pkt.ACK, r.writes.get(1)[10 + 33] & 0xff);
    }

    @Test
    void invalidChecksumsAreNotMerged() throws Exception {
        GroCoalescer c = new GroCoalescer(128, true);
        Recorder r = new Recorder();
        for (Pkt p : List.of(
                badChecksum(Pkt.tcp4(A4, B4, Pkt.ACK, 100, 1)),
                Pkt.tcp4(A4, B4, Pkt.ACK, 100, 101),
                Pkt.tcp4(A4, B4, Pkt.ACK, 100, 201),
                badChecksum(Pkt.udp4(A4, B4, 100)),
                Pkt.udp4(A4, B4, 100),
                Pkt.udp4(A4, B4, 100))) {
            byte[] b = p.build();
            c.add(b, 10, b.length - 10);
        }
        c.flush(r);
        assertEquals(List.of(140, 240, 128, 228), r.ipLengths());
        assertEquals(2, c.checksumFailures());
        assertFalse(RefChecksum.transportValid(r.writes.get(0), 10, 140), "the bad packet goes out as it came");
    }

    @Test
    void badChecksumInTheMiddleEndsTheSuperPacket() throws Exception {
        Recorder r = coalesce(false,
                Pkt.tcp4(A4, B4, Pkt.ACK, 100, 1),
                badChecksum(Pkt.tcp4(A4, B4, Pkt.ACK, 100, 101)),
                Pkt.tcp4(A4, B4, Pkt.ACK, 100, 201),
                Pkt.tcp4(A4, B4, Pkt.ACK, 100, 301));
        assertEquals(List.of(140, 140, 240), r.ipLengths());
    }

    /** wireguard-go merges these into one 340-byte packet by prepending; order is kept here instead. */
    @Test
    void outOfOrderSegmentsAreNotReordered() throws Exception {
        Recorder r = coalesce(true,
                Pkt.tcp4(A4, B4, Pkt.ACK, 100, 101),
                Pkt.tcp4(A4, B4, Pkt.ACK, 100, 1),
                Pkt.tcp4(A4, B4, Pkt.ACK, 100, 201));
        assertEquals(List.of(140, 140, 140), r.ipLengths());
        assertEquals(101, Pkt.get32(r.writes.get(0), 10 + 24));
        assertEquals(1, Pkt.get32(r.writes.get(1), 10 + 24));
        // ... but 1 then 101..201 would merge: the third packet continues the second.
        r = coalesce(false,
                Pkt.tcp4(A4, B4, Pkt.ACK, 100, 201),
                Pkt.tcp4(A4, B4, Pkt.ACK, 100, 1),
                Pkt.tcp4(A4, B4, Pkt.ACK, 100, 101));
        assertEquals(List.of(140, 240), r.ipLengths());
    }

    @Test
    void unequalIpv4Fields() throws Exception {
        List<Consumer<Pkt>> changes = List.of(p -> p.ttl++, p -> p.tos++, p -> p.ipFlags = 1, p -> p.ipFlags = 2);
        for (Consumer<Pkt> change : changes) {
            Recorder r = coalesce(true,
                    Pkt.tcp4(A4, B4, Pkt.ACK, 100, 1),
                    mutate(Pkt.tcp4(A4, B4, Pkt.ACK, 100, 101), change),
                    Pkt.udp4(A4, B4, 100),
                    mutate(Pkt.udp4(A4, B4, 100), change));
            assertEquals(List.of(140, 140, 128, 128), r.ipLengths());
        }
    }

    @Test
    void unequalIpv6Fields() throws Exception {
        List<Consumer<Pkt>> changes = List.of(p -> p.hopLimit++, p -> p.trafficClass++, p -> p.flowLabel = 5);
        for (Consumer<Pkt> change : changes) {
            Recorder r = coalesce(true,
                    Pkt.tcp6(A6, B6, Pkt.ACK, 100, 1),
                    mutate(Pkt.tcp6(A6, B6, Pkt.ACK, 100, 101), change),
                    Pkt.udp6(A6, B6, 100),
                    mutate(Pkt.udp6(A6, B6, 100), change));
            assertEquals(List.of(160, 160, 148, 148), r.ipLengths());
        }
    }

    // ---------------------------------------------------------------- TCP header rules

    @Test
    void unequalTcpHeaderFieldsAreNotMerged() throws Exception {
        List<Consumer<Pkt>> changes = List.of(p -> p.ack++, p -> p.window++,
                p -> p.tcpOptions = new byte[] {1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 1},
                p -> p.srcPort = 2, p -> p.dstPort = 2, p -> p.dst = Pkt.addr(C4));
        for (Consumer<Pkt> change : changes) {
            Recorder r = coalesce(false,
                    mutate(Pkt.tcp4(A4, B4, Pkt.ACK, 100, 1), p -> p.tcpOptions = new byte[] {1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 0}),
                    mutate(Pkt.tcp4(A4, B4, Pkt.ACK, 100, 101), p -> {
                        p.tcpOptions = new byte[] {1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 0};
                        change.accept(p);
                    }));
            assertEquals(2, r.writes.size());
        }
    }

    @Test
    void equalTimestampOptionsMerge() throws Exception {
        byte[] ts = {1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 7};
        Recorder r = coalesce(false,
                mutate(Pkt.tcp6(A6, B6, Pkt.ACK, 1000, 1), p -> p.tcpOptions = ts),
                mutate(Pkt.tcp6(A6, B6, Pkt.ACK, 1000, 1001), p -> p.tcpOptions = ts),
                mutate(Pkt.tcp6(A6, B6, Pkt.ACK, 1000, 2001), p -> p.tcpOptions = ts));
        assertEquals(List.of(40 + 32 + 3000), r.ipLengths());
        assertEquals(72, VirtioNetHeader.hdrLen(r.writes.get(0), 0));
    }

    @Test
    void onlyAckAndPshSegmentsWithPayloadMerge() throws Exception {
        for (int flags : new int[] {Pkt.SYN | Pkt.ACK, Pkt.FIN | Pkt.ACK, Pkt.RST | Pkt.ACK, Pkt.URG | Pkt.ACK,
                Pkt.ECE | Pkt.ACK, Pkt.CWR | Pkt.ACK, 0, Pkt.PSH}) {
            Recorder r = coalesce(false,
                    Pkt.tcp4(A4, B4, Pkt.ACK, 100, 1),
                    Pkt.tcp4(A4, B4, flags, 100, 101),
                    Pkt.tcp4(A4, B4, Pkt.ACK, 100, 201));
            assertEquals(List.of(140, 140, 140), r.ipLengths(), "flags " + flags);
        }
        Recorder r = coalesce(false,
                Pkt.tcp4(A4, B4, Pkt.ACK, 100, 1),
                Pkt.tcp4(A4, B4, Pkt.ACK, 0, 101),
                Pkt.tcp4(A4, B4, Pkt.ACK, 100, 101));
        assertEquals(List.of(140, 40, 140), r.ipLengths(), "a pure ACK of the flow ends the super-packet");
    }

    @Test
    void segmentSizesEqualExceptASmallerLast() throws Exception {
        Recorder r = coalesce(false,
                Pkt.tcp4(A4, B4, Pkt.ACK, 100, 1),
                Pkt.tcp4(A4, B4, Pkt.ACK, 100, 101),
                Pkt.tcp4(A4, B4, Pkt.ACK, 50, 201),
                Pkt.tcp4(A4, B4, Pkt.ACK, 50, 251),
                Pkt.tcp4(A4, B4, Pkt.ACK, 50, 301),
                Pkt.tcp4(A4, B4, Pkt.ACK, 60, 351));
        assertEquals(List.of(290, 140, 100), r.ipLengths());
        assertEquals(100, VirtioNetHeader.gsoSize(r.writes.get(0), 0));
        assertEquals(50, VirtioNetHeader.gsoSize(r.writes.get(1), 0));
    }

    @Test
    void atMost64Segments() throws Exception {
        List<Pkt> pkts = new ArrayList<>();
        for (int i = 0; i < 130; i++) {
            pkts.add(Pkt.tcp4(A4, B4, Pkt.ACK, 10, 1 + 10 * i));
        }
        GroCoalescer c = new GroCoalescer(200, false);
        for (Pkt p : pkts) {
            byte[] b = p.build();
            c.add(b, 10, b.length - 10);
        }
        Recorder r = new Recorder();
        c.flush(r);
        assertEquals(List.of(40 + 640, 40 + 640, 60), r.ipLengths());
    }

    @Test
    void atMost65535Bytes() throws Exception {
        List<Pkt> pkts = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            pkts.add(Pkt.tcp6(A6, B6, Pkt.ACK, 1440, 1 + 1440 * i));
        }
        Recorder r = coalesce(false, pkts.toArray(new Pkt[0]));
        assertEquals(List.of(60 + 45 * 1440, 60 + 5 * 1440), r.ipLengths());
        assertTrue(60 + 46 * 1440 > 65535);
    }

    // ---------------------------------------------------------------- the merged packet itself

    @Test
    void mergedPacketCarriesTheHeaderTheKernelExpects() throws Exception {
        for (boolean v6 : new boolean[] {false, true}) {
            Pkt[] pkts = new Pkt[3];
            for (int i = 0; i < 3; i++) {
                pkts[i] = v6 ? Pkt.tcp6(A6, B6, Pkt.ACK, 1000, 5000 + 1000 * i) : Pkt.tcp4(A4, B4, Pkt.ACK, 1000, 5000 + 1000 * i);
                pkts[i].id = 77 + i;
                pkts[i].ipFlags = 2;
            }
            pkts[2].payload = Arrays.copyOf(pkts[2].payload, 500);
            pkts[2].flags |= Pkt.PSH;
            byte[] w = coalesce(false, pkts).writes.get(0);
            int iph = v6 ? 40 : 20;
            VirtioNetHeader h = new VirtioNetHeader().readFrom(w, 0);
            assertEquals(VirtioNetHeader.FLAG_NEEDS_CSUM, h.flags());
            assertEquals(v6 ? VirtioNetHeader.GSO_TCPV6 : VirtioNetHeader.GSO_TCPV4, h.gsoType());
            assertEquals(iph + 20, h.hdrLen());
            assertEquals(1000, h.gsoSize());
            assertEquals(iph, h.csumStart());
            assertEquals(16, h.csumOffset());
            int len = w.length - 10;
            assertEquals(iph + 20 + 2500, len);
            if (v6) {
                assertEquals(len - 40, Pkt.get16(w, 10 + 4));
            } else {
                assertEquals(len, Pkt.get16(w, 10 + 2));
                assertEquals(77, Pkt.get16(w, 10 + 4));
                assertTrue(RefChecksum.ipv4HeaderValid(w, 10));
            }
            assertEquals(5000, Pkt.get32(w, 10 + iph + 4));
            assertEquals(Pkt.ACK | Pkt.PSH, w[10 + iph + 13] & 0xff);
            assertEquals(RefChecksum.pseudoHeaderSum(w, 10, 6, len - iph), Pkt.get16(w, 10 + iph + 16),
                    "TCP checksum field holds the pseudo-header sum");
            // The payload is the three segments in order.
            byte[] data = Arrays.copyOfRange(w, 10 + iph + 20, w.length);
            assertArrayEquals(Pkt.pattern(1000, 5000), Arrays.copyOfRange(data, 0, 1000));
            assertArrayEquals(Pkt.pattern(1000, 6000), Arrays.copyOfRange(data, 1000, 2000));
            assertArrayEquals(Arrays.copyOf(Pkt.pattern(1000, 7000), 500), Arrays.copyOfRange(data, 2000, 2500));
        }
    }

    @Test
    void mergedUdpPacket() throws Exception {
        byte[] w = coalesce(true, Pkt.udp6(A6, B6, 1200), Pkt.udp6(A6, B6, 1200), Pkt.udp6(A6, B6, 7)).writes.get(0);
        VirtioNetHeader h = new VirtioNetHeader().readFrom(w, 0);
        assertEquals(VirtioNetHeader.GSO_UDP_L4, h.gsoType());
        assertEquals(VirtioNetHeader.FLAG_NEEDS_CSUM, h.flags());
        assertEquals(48, h.hdrLen());
        assertEquals(1200, h.gsoSize());
        assertEquals(40, h.csumStart());
        assertEquals(6, h.csumOffset());
        int len = w.length - 10;
        assertEquals(48 + 2407, len);
        assertEquals(len - 40, Pkt.get16(w, 10 + 44), "UDP length");
        assertEquals(RefChecksum.pseudoHeaderSum(w, 10, 17, len - 40), Pkt.get16(w, 10 + 46));
    }

    @Test
    void udpZeroChecksumAndLengthMismatchAreNotMerged() throws Exception {
        Pkt zero = mutate(Pkt.udp4(A4, B4, 100), p -> p.zeroChecksum = true);
        assertEquals(3, coalesce(true, Pkt.udp4(A4, B4, 100), zero, Pkt.udp4(A4, B4, 100)).writes.size());

        byte[] lies = Pkt.udp4(A4, B4, 100).build();
        Pkt.put16(lies, 10 + 24, 100); // UDP length short of the IP payload
        GroCoalescer c = new GroCoalescer(8, true);
        byte[] first = Pkt.udp4(A4, B4, 100).build();
        byte[] third = Pkt.udp4(A4, B4, 100).build();
        c.add(first, 10, 128);
        c.add(lies, 10, 128);
        c.add(third, 10, 128);
        assertEquals(3, c.flush(new Recorder()));
    }

    /** Random corruption of a burst: never an exception, and every packet comes out once (merged or not). */
    @Test
    void fuzzedBurstsAreHandled() throws Exception {
        java.util.Random rnd = new java.util.Random(11);
        GsoSplitter splitter = new GsoSplitter();
        byte[][] segs = new byte[GroCoalescer.MAX_SEGMENTS][65535];
        int[] lens = new int[GroCoalescer.MAX_SEGMENTS];
        GroCoalescer c = new GroCoalescer(64, true);
        for (int iter = 0; iter < 3000; iter++) {
            int n = 1 + rnd.nextInt(64);
            int seq = rnd.nextInt();
            boolean v6 = rnd.nextBoolean();
            boolean udp = rnd.nextInt(4) == 0;
            int added = 0;
            for (int k = 0; k < n; k++) {
                Pkt p = udp ? (v6 ? Pkt.udp6(A6, B6, 200) : Pkt.udp4(A4, B4, 200))
                        : (v6 ? Pkt.tcp6(A6, B6, Pkt.ACK, 200, seq) : Pkt.tcp4(A4, B4, Pkt.ACK, 200, seq));
                p.id = k;
                seq += 200;
                byte[] b = p.build();
                int len = b.length - 10;
                if (rnd.nextInt(3) == 0) {
                    int mutations = 1 + rnd.nextInt(3);
                    for (int m = 0; m < mutations; m++) {
                        b[10 + rnd.nextInt(Math.min(len, 70))] = (byte) rnd.nextInt(256);
                    }
                    if (rnd.nextInt(4) == 0) {
                        len = rnd.nextInt(len + 1);
                    }
                }
                assertTrue(c.add(b, 10, len));
                if (len > 0) {
                    added++;
                }
            }
            Recorder r = new Recorder();
            c.flush(r);
            int out = 0;
            for (byte[] w : r.writes) {
                if (VirtioNetHeader.gsoType(w, 0) == VirtioNetHeader.GSO_NONE) {
                    out++;
                } else {
                    int count = splitter.split(w, 0, w.length, segs, 0, lens);
                    for (int i = 0; i < count; i++) {
                        assertTrue(RefChecksum.transportValid(segs[i], 0, lens[i]), "merged segments are intact");
                    }
                    out += count;
                }
            }
            assertEquals(added, out);
        }
    }

    // ---------------------------------------------------------------- everything else goes out unchanged

    @Test
    void nonCandidatesPassThroughUnchanged() throws Exception {
        List<byte[]> odd = new ArrayList<>();
        odd.add(new byte[] {0x45, 0, 0, 21, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 8});
        odd.add(new byte[] {0x00});
        odd.add(new byte[] {0x60, 0, 0, 0});
        odd.add(Arrays.copyOf(Pkt.tcp4(A4, B4, Pkt.ACK, 100, 1).bytes(), 39)); // too short
        odd.add(Arrays.copyOf(Pkt.tcp6(A6, B6, Pkt.ACK, 100, 1).bytes(), 59));
        odd.add(mutate(Pkt.tcp4(A4, B4, Pkt.ACK, 100, 1), p -> p.ipOptions = new byte[] {1, 1, 1, 1}).bytes());
        odd.add(mutate(Pkt.tcp4(A4, B4, Pkt.ACK, 100, 101), p -> p.ipOptions = new byte[] {1, 1, 1, 1}).bytes());
        odd.add(mutate(Pkt.tcp4(A4, B4, Pkt.ACK, 100, 201), p -> p.fragOffset = 100).bytes());
        byte[] gre = Pkt.tcp4(A4, B4, Pkt.ACK, 100, 301).bytes();
        gre[9] = 47;
        odd.add(gre);
        byte[] ext = Pkt.tcp6(A6, B6, Pkt.ACK, 100, 1).bytes();
        ext[6] = 0;
        odd.add(ext);
        byte[] badIhl = Pkt.tcp4(A4, B4, Pkt.ACK, 100, 1).bytes();
        badIhl[0] = 0x4f;
        odd.add(badIhl);
        byte[] badIpCsum = Pkt.tcp4(A4, B4, Pkt.ACK, 100, 401).bytes();
        badIpCsum[10] ^= 1;
        odd.add(badIpCsum);
        byte[] lenLies = Pkt.tcp4(A4, B4, Pkt.ACK, 100, 501).bytes();
        Pkt.put16(lenLies, 2, 100);
        odd.add(lenLies);
        odd.add(Pkt.tcp4(A4, B4, Pkt.ACK, 100, 601).bytes()); // could follow nothing above

        GroCoalescer c = new GroCoalescer();
        for (byte[] p : odd) {
            byte[] b = new byte[p.length + 10];
            System.arraycopy(p, 0, b, 10, p.length);
            c.add(b, 10, p.length);
        }
        Recorder r = new Recorder();
        c.flush(r);
        assertEquals(odd.size(), r.writes.size());
        for (int i = 0; i < odd.size(); i++) {
            byte[] w = r.writes.get(i);
            assertArrayEquals(new byte[10], Arrays.copyOf(w, 10), "zero virtio header " + i);
            assertArrayEquals(odd.get(i), Arrays.copyOfRange(w, 10, w.length), "packet " + i + " unchanged");
        }
        assertEquals(0, c.mergedPackets());
    }

    @Test
    void emptyPacketsAreDroppedAndCounted() throws Exception {
        GroCoalescer c = new GroCoalescer();
        assertTrue(c.add(new byte[20], 10, 0));
        assertEquals(0, c.size());
        assertEquals(1, c.droppedPackets());
        assertEquals(0, c.flush(new Recorder()));
    }

    @Test
    void fullBatchRefusesMore() throws Exception {
        GroCoalescer c = new GroCoalescer(2, false);
        byte[] p = Pkt.tcp4(A4, B4, Pkt.ACK, 10, 1).build();
        assertTrue(c.add(p, 10, 50));
        assertTrue(c.add(p.clone(), 10, 50));
        assertFalse(c.add(p.clone(), 10, 50));
        assertEquals(2, c.size());
        assertEquals(2, c.capacity());
        assertThrows(IndexOutOfBoundsException.class, () -> c.add(p, 10, 51));
        assertThrows(IllegalArgumentException.class, () -> new GroCoalescer(0, false));
    }

    @Test
    void headerGoesIntoHeadroomOrIntoACopy() throws Exception {
        byte[] pkt = Pkt.tcp4(A4, B4, Pkt.SYN, 0, 1).bytes();
        byte[] roomy = new byte[pkt.length + 16];
        Arrays.fill(roomy, (byte) 0x77);
        System.arraycopy(pkt, 0, roomy, 16, pkt.length);
        byte[] tight = pkt.clone();
        GroCoalescer c = new GroCoalescer();
        c.add(roomy, 16, pkt.length);
        c.add(tight, 0, pkt.length);
        List<byte[]> arrays = new ArrayList<>();
        List<Integer> offsets = new ArrayList<>();
        c.flush((buf, off, len) -> {
            arrays.add(buf);
            offsets.add(off);
            assertEquals(pkt.length + 10, len);
            assertArrayEquals(new byte[10], Arrays.copyOfRange(buf, off, off + 10));
            assertArrayEquals(pkt, Arrays.copyOfRange(buf, off + 10, off + len));
        });
        assertSame(roomy, arrays.get(0), "written in place");
        assertEquals(6, offsets.get(0));
        assertEquals(0x77, roomy[5], "only the 10 bytes before the packet are used");
        assertTrue(arrays.get(1) != tight, "no headroom: copied");
        assertArrayEquals(pkt, tight);
    }

    @Test
    void writerFailureClearsTheBatch() throws Exception {
        GroCoalescer c = new GroCoalescer();
        for (int i = 0; i < 3; i++) {
            byte[] b = Pkt.tcp4(A4, B4, Pkt.SYN, 0, i).build();
            c.add(b, 10, b.length - 10);
        }
        int[] calls = {0};
        assertThrows(IOException.class, () -> c.flush((buf, off, len) -> {
            calls[0]++;
            throw new IOException("device gone");
        }));
        assertEquals(1, calls[0]);
        assertEquals(0, c.size());
        assertEquals(0, c.flush(new Recorder()));
    }

    @Test
    void orderWithinEachFlowIsKeptAcrossManyFlows() throws Exception {
        // Two flows interleaved, the second one with a pure ACK and a gap in the middle.
        Recorder r = coalesce(false,
                Pkt.tcp4(A4, B4, Pkt.ACK, 100, 1),
                Pkt.tcp4(A4, C4, Pkt.ACK, 100, 1),
                Pkt.tcp4(A4, B4, Pkt.ACK, 100, 101),
                Pkt.tcp4(A4, C4, Pkt.ACK, 0, 101),
                Pkt.tcp4(A4, B4, Pkt.ACK, 100, 201),
                Pkt.tcp4(A4, C4, Pkt.ACK, 100, 101),
                Pkt.tcp4(A4, C4, Pkt.ACK, 100, 301),
                Pkt.tcp4(A4, C4, Pkt.ACK, 100, 401));
        assertEquals(List.of(340, 140, 40, 140, 240), r.ipLengths());
    }
}
