package io.cryptun.tun.offload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.cryptun.tun.offload.GsoSplitException.Reason;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GsoSplitterTest {

    /** Headroom the caller keeps before every packet (the WireGuard header). */
    private static final int OUT_OFF = 16;
    private static final byte SENTINEL = 0x5a;

    private final GsoSplitter splitter = new GsoSplitter();
    private final byte[][] out = buffers(128, OUT_OFF + 65535);
    private final int[] lens = new int[128];

    private static byte[][] buffers(int n, int size) {
        byte[][] b = new byte[n][size];
        for (byte[] x : b) {
            Arrays.fill(x, SENTINEL);
        }
        return b;
    }

    private List<byte[]> split(byte[] read) throws GsoSplitException {
        int n = splitter.split(read, 0, read.length, out, OUT_OFF, lens);
        List<byte[]> packets = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            packets.add(Arrays.copyOfRange(out[i], OUT_OFF, OUT_OFF + lens[i]));
        }
        return packets;
    }

    /** The segments TSO would produce, built independently with correct checksums. */
    private static void assertSegmentsOf(Pkt whole, int gsoSize, List<byte[]> got) {
        int count = Math.max(1, (whole.payload.length + gsoSize - 1) / gsoSize);
        assertEquals(count, got.size(), "segment count");
        for (int i = 0; i < count; i++) {
            byte[] want = whole.segment(i, count, gsoSize).bytes();
            assertArrayEquals(want, got.get(i), "segment " + i);
            assertChecksumsValid(got.get(i));
        }
    }

    private static void assertChecksumsValid(byte[] pkt) {
        if ((pkt[0] & 0xf0) == 0x40) {
            assertTrue(RefChecksum.ipv4HeaderValid(pkt, 0), "IPv4 header checksum");
        }
        assertTrue(RefChecksum.transportValid(pkt, 0, pkt.length), "transport checksum");
    }

    // ---------------------------------------------------------------- wireguard-go's Test_handleVirtioRead

    @Test
    void tcp4LikeWireguardGo() throws Exception {
        Pkt p = Pkt.tcp4("192.0.2.1", "192.0.2.2", Pkt.ACK | Pkt.PSH, 200, 1);
        List<byte[]> segs = split(KernelReads.gso(p, 100));
        assertEquals(List.of(140, 140), lengths(segs));
        assertSegmentsOf(p, 100, segs);
    }

    @Test
    void tcp6LikeWireguardGo() throws Exception {
        Pkt p = Pkt.tcp6("2001:db8::1", "2001:db8::2", Pkt.ACK | Pkt.PSH, 200, 1);
        List<byte[]> segs = split(KernelReads.gso(p, 100));
        assertEquals(List.of(160, 160), lengths(segs));
        assertSegmentsOf(p, 100, segs);
    }

    @Test
    void udp4LikeWireguardGo() throws Exception {
        Pkt p = Pkt.udp4("192.0.2.1", "192.0.2.2", 200);
        List<byte[]> segs = split(KernelReads.gso(p, 100));
        assertEquals(List.of(128, 128), lengths(segs));
        assertSegmentsOf(p, 100, segs);
    }

    @Test
    void udp6LikeWireguardGo() throws Exception {
        Pkt p = Pkt.udp6("2001:db8::1", "2001:db8::2", 200);
        List<byte[]> segs = split(KernelReads.gso(p, 100));
        assertEquals(List.of(148, 148), lengths(segs));
        assertSegmentsOf(p, 100, segs);
    }

    private static List<Integer> lengths(List<byte[]> packets) {
        List<Integer> l = new ArrayList<>();
        for (byte[] p : packets) {
            l.add(p.length);
        }
        return l;
    }

    // ---------------------------------------------------------------- segmentation details

    @Test
    void shorterLastSegmentAndFlagsOnlyWhereTheyBelong() throws Exception {
        Pkt p = Pkt.tcp4("10.0.0.1", "10.0.0.2", Pkt.ACK | Pkt.PSH | Pkt.FIN | Pkt.CWR | Pkt.ECE, 1000, 77);
        p.tcpOptions = new byte[] {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}; // NOP NOP timestamps
        p.id = 4242;
        p.ipFlags = 2;
        List<byte[]> segs = split(KernelReads.gso(p, 300));
        assertEquals(4, segs.size());
        assertSegmentsOf(p, 300, segs);
        assertEquals(Pkt.ACK | Pkt.CWR | Pkt.ECE, segs.get(0)[33] & 0xff);
        assertEquals(Pkt.ACK | Pkt.ECE, segs.get(1)[33] & 0xff);
        assertEquals(Pkt.ACK | Pkt.ECE | Pkt.PSH | Pkt.FIN, segs.get(3)[33] & 0xff);
        assertEquals(100, segs.get(3).length - 52);
    }

    @Test
    void ecnGsoTypeIsAccepted() throws Exception {
        Pkt p = Pkt.tcp6("fd00::1", "fd00::2", Pkt.ACK | Pkt.CWR, 3000, 5);
        byte[] read = KernelReads.gso(p, 1000);
        read[1] |= (byte) VirtioNetHeader.GSO_ECN;
        List<byte[]> segs = split(read);
        assertSegmentsOf(p, 1000, segs);
    }

    @Test
    void ipv4IdAndSequenceNumbersWrapAround() throws Exception {
        Pkt p = Pkt.tcp4("10.0.0.1", "10.0.0.2", Pkt.ACK, 500, 0xffffff00);
        p.id = 0xfffe;
        List<byte[]> segs = split(KernelReads.gso(p, 100));
        assertSegmentsOf(p, 100, segs);
        assertEquals(0, Pkt.get16(segs.get(2), 4));
        assertEquals(0x0000002c, Pkt.get32(segs.get(3), 24));
    }

    @Test
    void ipv4OptionsAreCopiedIntoEverySegment() throws Exception {
        Pkt p = Pkt.tcp4("10.0.0.1", "10.0.0.2", Pkt.ACK, 250, 9);
        p.ipOptions = new byte[] {(byte) 0x94, 4, 0, 0}; // router alert
        List<byte[]> segs = split(KernelReads.gso(p, 100));
        assertEquals(3, segs.size());
        assertSegmentsOf(p, 100, segs);
        assertEquals(0x46, segs.get(1)[0]);
    }

    @Test
    void fullSizeSuperPacketIntoMtuSizedSegments() throws Exception {
        Pkt p = Pkt.tcp4("10.0.0.1", "10.0.0.2", Pkt.ACK | Pkt.PSH, 65535 - 40, 123456);
        List<byte[]> segs = split(KernelReads.gso(p, 1380));
        assertEquals(48, segs.size());
        assertSegmentsOf(p, 1380, segs);
        Pkt q = Pkt.udp6("fd00::1", "fd00::2", 65535 - 48);
        segs = split(KernelReads.gso(q, 1372));
        assertSegmentsOf(q, 1372, segs);
    }

    @Test
    void gsoPacketNoLargerThanOneSegmentGivesOnePacket() throws Exception {
        Pkt p = Pkt.tcp4("10.0.0.1", "10.0.0.2", Pkt.ACK, 80, 1);
        List<byte[]> segs = split(KernelReads.gso(p, 100));
        assertSegmentsOf(p, 100, segs);
        Pkt bare = Pkt.tcp4("10.0.0.1", "10.0.0.2", Pkt.ACK, 0, 1);
        segs = split(KernelReads.gso(bare, 100));
        assertEquals(1, segs.size());
        assertArrayEquals(bare.bytes(), segs.get(0));
    }

    @Test
    void partialChecksumOfSinglePacketIsCompleted() throws Exception {
        for (Pkt p : List.of(Pkt.tcp4("10.0.0.1", "10.0.0.2", Pkt.ACK, 999, 3),
                Pkt.tcp6("fd00::1", "fd00::2", Pkt.SYN, 0, 3), Pkt.udp4("10.0.0.1", "10.0.0.2", 33),
                Pkt.udp6("fd00::1", "fd00::2", 1))) {
            byte[] read = KernelReads.partial(p);
            assertFalse(RefChecksum.transportValid(read, 10, read.length - 10), "test input must be partial");
            List<byte[]> segs = split(read);
            assertEquals(1, segs.size());
            assertArrayEquals(p.bytes(), segs.get(0));
        }
    }

    @Test
    void udpChecksumThatComputesToZeroIsSentAsAllOnes() throws Exception {
        Pkt p = Pkt.udp6("fd00::1", "fd00::2", 20);
        // Choose the last two payload bytes so that the data sums to 0xffff: the checksum would be 0.
        p.payload[18] = 0;
        p.payload[19] = 0;
        byte[] pkt = p.bytes();
        pkt[46] = 0;
        pkt[47] = 0;
        int s = RefChecksum.sum(pkt, 40, pkt.length - 40, RefChecksum.pseudoHeaderSum(pkt, 0, 17, pkt.length - 40));
        int fill = 0xffff - s;
        p.payload[18] = (byte) (fill >>> 8);
        p.payload[19] = (byte) fill;
        byte[] read = KernelReads.partial(p);
        byte[] seg = split(read).get(0);
        assertEquals(0xffff, Pkt.get16(seg, 46));
        assertTrue(RefChecksum.transportValid(seg, 0, seg.length));
        // Same for a USO segment.
        byte[] gsoRead = KernelReads.gso(p, 100);
        assertEquals(0xffff, Pkt.get16(split(gsoRead).get(0), 46));
    }

    @Test
    void plainPacketIsCopiedUnchanged() throws Exception {
        byte[] icmp = {0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 8, 0, 0, 0, 0, 0, 0, 0};
        byte[] read = KernelReads.withHeader(icmp, new VirtioNetHeader());
        assertArrayEquals(icmp, split(read).get(0));
        read[0] = VirtioNetHeader.FLAG_DATA_VALID;
        assertArrayEquals(icmp, split(read).get(0));
    }

    @Test
    void inputIsNotModifiedAndHeadroomIsLeftAlone() throws Exception {
        Pkt p = Pkt.tcp4("10.0.0.1", "10.0.0.2", Pkt.ACK, 3000, 1);
        byte[] read = KernelReads.gso(p, 1000);
        byte[] copy = read.clone();
        byte[] framed = new byte[read.length + 7];
        System.arraycopy(read, 0, framed, 3, read.length);
        int n = splitter.split(framed, 3, read.length, out, OUT_OFF, lens);
        assertEquals(3, n);
        assertArrayEquals(copy, Arrays.copyOfRange(framed, 3, 3 + read.length));
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < OUT_OFF; j++) {
                assertEquals(SENTINEL, out[i][j]);
            }
            assertEquals(SENTINEL, out[i][OUT_OFF + lens[i]]);
        }
        assertEquals(SENTINEL, out[3][OUT_OFF]);
    }

    // ---------------------------------------------------------------- hdr_len is not trusted

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 20, 39, 41, 1040, 65535})
    void hdrLenIsIgnored(int hdrLen) throws Exception {
        Pkt p = Pkt.tcp4("10.0.0.1", "10.0.0.2", Pkt.ACK | Pkt.PSH, 2500, 1);
        byte[] read = KernelReads.gso(p, 1000);
        new VirtioNetHeader().readFrom(read, 0).hdrLen(hdrLen).writeTo(read, 0);
        assertSegmentsOf(p, 1000, split(read));
    }

    // ---------------------------------------------------------------- malformed and unsupported reads

    private void assertRejected(Reason reason, byte[] read, byte[][] buffers) {
        byte[][] before = new byte[buffers.length][];
        for (int i = 0; i < buffers.length; i++) {
            before[i] = buffers[i].clone();
        }
        GsoSplitException e = assertThrows(GsoSplitException.class,
                () -> splitter.split(read, 0, read.length, buffers, OUT_OFF, lens));
        assertEquals(reason, e.reason(), e.getMessage());
        assertFalse(e.getMessage().isEmpty());
        for (int i = 0; i < buffers.length; i++) {
            assertArrayEquals(before[i], buffers[i], "a rejected read must not write output buffer " + i);
        }
    }

    private void assertRejected(Reason reason, byte[] read) {
        assertRejected(reason, read, buffers(64, OUT_OFF + 2000));
    }

    private static byte[] tcp4Gso() {
        return KernelReads.gso(Pkt.tcp4("10.0.0.1", "10.0.0.2", Pkt.ACK, 3000, 1), 1000);
    }

    private static byte[] modified(byte[] read, int at, int value) {
        byte[] r = read.clone();
        r[at] = (byte) value;
        return r;
    }

    @Test
    void truncatedReads() {
        byte[] read = tcp4Gso();
        assertRejected(Reason.TRUNCATED, new byte[0]);
        assertRejected(Reason.TRUNCATED, Arrays.copyOf(read, 9));
        assertRejected(Reason.TRUNCATED, Arrays.copyOf(read, 10));
        for (int cut : new int[] {11, 29, 30, 35, 49}) {
            byte[] r = Arrays.copyOf(read, cut);
            if (cut >= 14) {
                Pkt.put16(r, 12, cut - 10); // keep the IPv4 length honest so truncation is what is seen
            }
            assertRejected(Reason.TRUNCATED, r);
        }
        byte[] v6 = KernelReads.gso(Pkt.tcp6("fd00::1", "fd00::2", Pkt.ACK, 300, 1), 100);
        assertRejected(Reason.TRUNCATED, Arrays.copyOf(v6, 45));
    }

    @Test
    void gsoSizeZero() {
        byte[] read = tcp4Gso();
        read[4] = 0;
        read[5] = 0;
        assertRejected(Reason.MALFORMED, read);
    }

    @Test
    void tcpDataOffsetOutOfRange() {
        byte[] read = tcp4Gso();
        assertRejected(Reason.MALFORMED, modified(read, 10 + 20 + 12, 0x40)); // 16 bytes
        assertRejected(Reason.MALFORMED, modified(read, 10 + 20 + 12, 0x00));
        byte[] small = KernelReads.gso(Pkt.tcp4("10.0.0.1", "10.0.0.2", Pkt.ACK, 10, 1), 5);
        assertRejected(Reason.TRUNCATED, modified(small, 10 + 20 + 12, 0xf0)); // 60 bytes, only 30 there
    }

    @Test
    void ipLengthFieldsMustMatchTheRead() {
        byte[] read = tcp4Gso();
        byte[] r = read.clone();
        Pkt.put16(r, 12, 3039);
        assertRejected(Reason.MALFORMED, r);
        byte[] v6 = KernelReads.gso(Pkt.tcp6("fd00::1", "fd00::2", Pkt.ACK, 300, 1), 100);
        Pkt.put16(v6, 14, 321);
        assertRejected(Reason.MALFORMED, v6);
    }

    @Test
    void gsoTypeMustMatchIpVersionAndProtocol() {
        byte[] v4 = tcp4Gso();
        assertRejected(Reason.MALFORMED, modified(v4, 1, VirtioNetHeader.GSO_TCPV6));
        byte[] v6 = KernelReads.gso(Pkt.tcp6("fd00::1", "fd00::2", Pkt.ACK, 300, 1), 100);
        assertRejected(Reason.MALFORMED, modified(v6, 1, VirtioNetHeader.GSO_TCPV4));
        // non-TCP packets with TCP GSO flags, TCP with USO
        byte[] udp = KernelReads.gso(Pkt.udp4("10.0.0.1", "10.0.0.2", 300), 100);
        assertRejected(Reason.MALFORMED, modified(udp, 1, VirtioNetHeader.GSO_TCPV4));
        assertRejected(Reason.MALFORMED, modified(v4, 1, VirtioNetHeader.GSO_UDP_L4));
        byte[] icmp = modified(v4, 10 + 9, 1);
        assertRejected(Reason.MALFORMED, icmp);
        assertRejected(Reason.MALFORMED, modified(v4, 10, 0x55)); // IP version 5
        assertRejected(Reason.MALFORMED, modified(v4, 10, 0x44)); // IHL 16 bytes
    }

    @Test
    void unsupportedGsoTypes() {
        byte[] read = tcp4Gso();
        assertRejected(Reason.UNSUPPORTED, modified(read, 1, VirtioNetHeader.GSO_UDP));
        assertRejected(Reason.UNSUPPORTED, modified(read, 1, 2));
        assertRejected(Reason.UNSUPPORTED, modified(read, 1, 0x7f));
        assertRejected(Reason.MALFORMED, modified(read, 1, VirtioNetHeader.GSO_ECN));
        byte[] udp = KernelReads.gso(Pkt.udp4("10.0.0.1", "10.0.0.2", 300), 100);
        assertRejected(Reason.MALFORMED, modified(udp, 1, VirtioNetHeader.GSO_UDP_L4 | VirtioNetHeader.GSO_ECN));
        byte[] v6 = KernelReads.gso(Pkt.tcp6("fd00::1", "fd00::2", Pkt.ACK, 300, 1), 100);
        assertRejected(Reason.UNSUPPORTED, modified(v6, 10 + 6, 0)); // hop-by-hop options header
    }

    @Test
    void checksumLocationMustAgreeWithThePacket() {
        byte[] read = tcp4Gso();
        byte[] r = read.clone();
        new VirtioNetHeader().readFrom(r, 0).csumStart(24).writeTo(r, 0);
        assertRejected(Reason.MALFORMED, r);
        r = read.clone();
        new VirtioNetHeader().readFrom(r, 0).csumOffset(6).writeTo(r, 0);
        assertRejected(Reason.MALFORMED, r);
        // Without NEEDS_CSUM the fields are not used: the checksums are computed anyway.
        r = read.clone();
        new VirtioNetHeader().readFrom(r, 0).flags(0).csumStart(9999).csumOffset(1).writeTo(r, 0);
        assertRejected(Reason.TOO_MANY_SEGMENTS, r, new byte[2][OUT_OFF + 2000]);
    }

    @Test
    void singlePacketChecksumOutsideThePacket() {
        Pkt p = Pkt.tcp4("10.0.0.1", "10.0.0.2", Pkt.ACK, 10, 1);
        byte[] read = KernelReads.partial(p);
        byte[] r = read.clone();
        new VirtioNetHeader().readFrom(r, 0).csumStart(40).csumOffset(16).writeTo(r, 0);
        assertRejected(Reason.MALFORMED, r);
        r = read.clone();
        new VirtioNetHeader().readFrom(r, 0).csumStart(65535).csumOffset(65535).writeTo(r, 0);
        assertRejected(Reason.MALFORMED, r);
        r = read.clone();
        new VirtioNetHeader().readFrom(r, 0).csumOffset(15).writeTo(r, 0);
        assertRejected(Reason.MALFORMED, r);
    }

    @Test
    void ipv4FragmentsCannotBeGso() {
        byte[] read = tcp4Gso();
        assertRejected(Reason.MALFORMED, modified(read, 10 + 6, 0x20)); // MF
        assertRejected(Reason.MALFORMED, modified(read, 10 + 7, 0x01)); // offset 8
    }

    @Test
    void hugeSegmentCounts() {
        Pkt p = Pkt.tcp4("10.0.0.1", "10.0.0.2", Pkt.ACK, 65495, 1);
        assertRejected(Reason.TOO_MANY_SEGMENTS, KernelReads.gso(p, 1), buffers(128, OUT_OFF + 100));
        assertRejected(Reason.TOO_MANY_SEGMENTS, KernelReads.gso(p, 1380), buffers(47, OUT_OFF + 1500));
    }

    @Test
    void outputBuffersTooSmall() throws Exception {
        Pkt p = Pkt.tcp4("10.0.0.1", "10.0.0.2", Pkt.ACK, 3000, 1);
        byte[][] small = buffers(4, OUT_OFF + 1039);
        assertRejected(Reason.BUFFER_TOO_SMALL, KernelReads.gso(p, 1000), small);
        byte[][] mixed = {new byte[OUT_OFF + 1040], new byte[OUT_OFF + 1040], new byte[OUT_OFF + 100]};
        assertRejected(Reason.BUFFER_TOO_SMALL, KernelReads.gso(p, 1000), mixed);
        byte[][] headroomOnly = {new byte[OUT_OFF - 1]};
        assertRejected(Reason.BUFFER_TOO_SMALL, KernelReads.partial(p), headroomOnly);
        // Exactly big enough works, the short last segment needs only its own size.
        byte[][] exact = {new byte[OUT_OFF + 1040], new byte[OUT_OFF + 1040], new byte[OUT_OFF + 1040]};
        assertEquals(3, splitter.split(KernelReads.gso(p, 1000), 0, 3050, exact, OUT_OFF, lens));
    }

    @Test
    void severalReadsFillOneBatchFromAGivenIndex() throws Exception {
        Pkt p = Pkt.tcp4("10.0.0.1", "10.0.0.2", Pkt.ACK, 3000, 1);
        byte[][] pool = buffers(6, OUT_OFF + 1100);
        int[] poolLens = new int[6];
        int used = splitter.split(KernelReads.gso(p, 1000), 0, 3050, pool, OUT_OFF, poolLens, 0);
        byte[] icmp = {0x45, 0, 0, 20, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
        used += splitter.split(KernelReads.withHeader(icmp, new VirtioNetHeader()), 0, 30, pool, OUT_OFF, poolLens,
                used);
        assertEquals(4, used);
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(p.segment(i, 3, 1000).bytes(), Arrays.copyOfRange(pool[i], OUT_OFF, OUT_OFF + poolLens[i]));
        }
        assertArrayEquals(icmp, Arrays.copyOfRange(pool[3], OUT_OFF, OUT_OFF + poolLens[3]));
        byte[][] before = {pool[0].clone(), pool[4].clone(), pool[5].clone()};
        GsoSplitException e = assertThrows(GsoSplitException.class,
                () -> splitter.split(KernelReads.gso(p, 1000), 0, 3050, pool, OUT_OFF, poolLens, 4));
        assertEquals(Reason.TOO_MANY_SEGMENTS, e.reason());
        assertArrayEquals(before[0], pool[0]);
        assertArrayEquals(before[1], pool[4]);
        assertArrayEquals(before[2], pool[5]);
        assertThrows(IllegalArgumentException.class,
                () -> splitter.split(KernelReads.gso(p, 1000), 0, 3050, pool, OUT_OFF, poolLens, 6));
        assertThrows(IllegalArgumentException.class,
                () -> splitter.split(KernelReads.gso(p, 1000), 0, 3050, pool, OUT_OFF, poolLens, -1));
    }

    @Test
    void packetCountTellsAheadWithTheSameChecks() throws Exception {
        Pkt p = Pkt.tcp4("10.0.0.1", "10.0.0.2", Pkt.ACK, 65495, 1);
        assertEquals(48, splitter.packetCount(KernelReads.gso(p, 1380), 0, 65545));
        assertEquals(1365, splitter.packetCount(KernelReads.gso(p, 48), 0, 65545), "tcp_min_snd_mss is 48");
        assertEquals(1, splitter.packetCount(KernelReads.partial(p), 0, 65545));
        byte[] zero = KernelReads.gso(p, 1380);
        zero[4] = 0;
        zero[5] = 0;
        GsoSplitException e = assertThrows(GsoSplitException.class, () -> splitter.packetCount(zero, 0, zero.length));
        assertEquals(Reason.MALFORMED, e.reason());
        // A small-MSS super-packet is split in full when the caller provides the buffers.
        byte[][] many = buffers(1365, OUT_OFF + 100);
        int[] manyLens = new int[1365];
        assertEquals(1365, splitter.split(KernelReads.gso(p, 48), 0, 65545, many, OUT_OFF, manyLens));
        assertArrayEquals(p.segment(1364, 1365, 48).bytes(), Arrays.copyOfRange(many[1364], OUT_OFF,
                OUT_OFF + manyLens[1364]));
    }

    @Test
    void callerErrorsAreIllegalArguments() {
        byte[] read = tcp4Gso();
        assertThrows(IllegalArgumentException.class, () -> splitter.split(read, 0, read.length, new byte[0][], 0, lens));
        assertThrows(IllegalArgumentException.class, () -> splitter.split(read, 0, read.length, out, 0, new int[1]));
        assertThrows(IllegalArgumentException.class, () -> splitter.split(read, 0, read.length, out, -1, lens));
        assertThrows(IndexOutOfBoundsException.class, () -> splitter.split(read, 5, read.length, out, 0, lens));
    }

    /** Random corruption of valid reads: a result or a GsoSplitException, never anything else, never a stray write. */
    @Test
    void fuzzedReadsFailCleanly() {
        Random rnd = new Random(7);
        List<byte[]> seeds = List.of(tcp4Gso(),
                KernelReads.gso(Pkt.tcp6("fd00::1", "fd00::2", Pkt.ACK | Pkt.PSH, 2000, 1), 700),
                KernelReads.gso(Pkt.udp4("10.0.0.1", "10.0.0.2", 1000), 300),
                KernelReads.gso(Pkt.udp6("fd00::1", "fd00::2", 1000), 300),
                KernelReads.partial(Pkt.tcp4("10.0.0.1", "10.0.0.2", Pkt.ACK, 100, 1)));
        byte[][] small = buffers(8, OUT_OFF + 1200);
        int[] smallLens = new int[8];
        int ok = 0;
        for (int iter = 0; iter < 30_000; iter++) {
            byte[] read = seeds.get(rnd.nextInt(seeds.size())).clone();
            int mutations = 1 + rnd.nextInt(4);
            for (int m = 0; m < mutations; m++) {
                int at = rnd.nextInt(Math.min(read.length, rnd.nextBoolean() ? 70 : read.length));
                read[at] = (byte) rnd.nextInt(256);
            }
            int len = rnd.nextInt(4) == 0 ? rnd.nextInt(read.length + 1) : read.length;
            for (byte[] b : small) {
                Arrays.fill(b, SENTINEL);
            }
            try {
                int n = splitter.split(read, 0, len, small, OUT_OFF, smallLens);
                ok++;
                assertTrue(n >= 1 && n <= small.length);
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < OUT_OFF; j++) {
                        assertEquals(SENTINEL, small[i][j], "headroom written");
                    }
                    for (int j = OUT_OFF + smallLens[i]; j < small[i].length; j++) {
                        assertEquals(SENTINEL, small[i][j], "written past the packet");
                    }
                }
            } catch (GsoSplitException expected) {
                assertFalse(expected.getMessage().isEmpty());
            } catch (RuntimeException e) {
                fail("undocumented exception for input " + Arrays.toString(Arrays.copyOf(read, Math.min(len, 80))), e);
            }
        }
        assertTrue(ok > 100, "some fuzzed reads should still be accepted: " + ok);
    }
}
