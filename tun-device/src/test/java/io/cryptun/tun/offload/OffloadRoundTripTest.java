package io.cryptun.tun.offload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Properties that tie the two halves together: what the coalescer merges, the splitter (standing in for the kernel's
 * segmentation) turns back into exactly the original packets, and the other way round. Checksums are checked with
 * {@link RefChecksum}, not with the code under test.
 */
class OffloadRoundTripTest {

    private static final int HEADROOM = 16;

    private final GsoSplitter splitter = new GsoSplitter();
    private final byte[][] segments = new byte[GroCoalescer.MAX_SEGMENTS][HEADROOM + 65535];
    private final int[] lengths = new int[GroCoalescer.MAX_SEGMENTS];

    /** One direction of a connection as the sending TCP (or UDP application) would produce it. */
    private static final class Flow {
        final Pkt template;
        final int mss;
        int seq;
        int id;
        final List<byte[]> sent = new ArrayList<>();
        final List<byte[]> received = new ArrayList<>();

        Flow(Pkt template, int mss, int seq, int id) {
            this.template = template;
            this.mss = mss;
            this.seq = seq;
            this.id = id;
        }
    }

    @Test
    void splitOfCoalesceGivesBackTheOriginalPackets() throws Exception {
        int merged = 0;
        for (int trial = 0; trial < 400; trial++) {
            merged += splitOfCoalesce(trial, trial % 2 == 1, trial % 3 == 0);
        }
        assertTrue(merged > 1000, "the random flows should have been merged a lot: " + merged);
    }

    private long splitOfCoalesce(long seed, boolean v6, boolean udpGro) throws Exception {
        Random rnd = new Random(seed);
        List<Flow> flows = new ArrayList<>();
        int nflows = 1 + rnd.nextInt(3);
        for (int i = 0; i < nflows; i++) {
            boolean udp = udpGro && rnd.nextInt(3) == 0;
            String src = v6 ? "fd00::1" : "10.9.0.1";
            String dst = v6 ? "fd00::2" : "10.9.0.2";
            Pkt t = udp ? (v6 ? Pkt.udp6(src, dst, 0) : Pkt.udp4(src, dst, 0))
                    : (v6 ? Pkt.tcp6(src, dst, Pkt.ACK, 0, 0) : Pkt.tcp4(src, dst, Pkt.ACK, 0, 0));
            t.ports(1000 + i, 443);
            t.ack = rnd.nextInt();
            t.window = rnd.nextInt(65536);
            t.ipFlags = rnd.nextBoolean() ? 2 : 0;
            if (!udp && rnd.nextBoolean()) {
                t.tcpOptions = new byte[] {1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8};
            }
            int mss = rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(40) : 200 + rnd.nextInt(1300);
            flows.add(new Flow(t, mss, rnd.nextInt(), rnd.nextInt(65536)));
        }

        GroCoalescer coalescer = new GroCoalescer(128, udpGro);
        int n = 1 + rnd.nextInt(128);
        List<Flow> order = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            Flow f = flows.get(rnd.nextInt(flows.size()));
            Pkt p = f.template.copy();
            int len = f.mss;
            int r = rnd.nextInt(100);
            if (p.udp) {
                if (r >= 75) {
                    len = 1 + rnd.nextInt(f.mss);
                }
                p.badChecksum = r < 3;
            } else if (r < 68) {
                p.flags = Pkt.ACK;
            } else if (r < 78) {
                len = 1 + rnd.nextInt(f.mss);
                p.flags = rnd.nextBoolean() ? Pkt.ACK | Pkt.PSH : Pkt.ACK;
            } else if (r < 83) {
                p.flags = Pkt.ACK | Pkt.PSH;
            } else if (r < 88) {
                len = 0; // pure ACK
            } else if (r < 91) {
                f.template.ack += 1000; // the peer's data was acknowledged
                p.ack = f.template.ack;
            } else if (r < 93) {
                f.seq += 5000; // a gap: a lost segment
            } else if (r < 96) {
                p.badChecksum = true;
            } else if (r < 98) {
                f.template.window = (f.template.window + 1) & 0xffff;
                p.window = f.template.window;
            } else {
                p.flags = Pkt.ACK | Pkt.FIN;
            }
            p.seq = f.seq;
            p.id = f.id;
            p.payload = Pkt.pattern(len, f.seq);
            f.seq += len;
            f.id = (f.id + 1) & 0xffff;
            byte[] pkt = p.bytes();
            f.sent.add(pkt);
            order.add(f);
            byte[] withHeadroom = new byte[HEADROOM + pkt.length];
            System.arraycopy(pkt, 0, withHeadroom, HEADROOM, pkt.length);
            assertTrue(coalescer.add(withHeadroom, HEADROOM, pkt.length));
        }

        GroCoalescerTest.Recorder recorder = new GroCoalescerTest.Recorder();
        int writes = coalescer.flush(recorder);
        Map<Integer, Flow> byPort = new HashMap<>();
        for (Flow f : flows) {
            byPort.put(f.template.srcPort, f);
        }
        int packetsOut = 0;
        for (byte[] w : recorder.writes) {
            assertTrue(w.length <= VirtioNetHeader.SIZE + GroCoalescer.MAX_PACKET);
            if (VirtioNetHeader.gsoType(w, 0) == VirtioNetHeader.GSO_NONE) {
                assertArrayEquals(new byte[VirtioNetHeader.SIZE], Arrays.copyOf(w, VirtioNetHeader.SIZE));
                byte[] pkt = Arrays.copyOfRange(w, VirtioNetHeader.SIZE, w.length);
                byPort.get(Pkt.get16(pkt, v6 ? 40 : 20)).received.add(pkt);
                packetsOut++;
                continue;
            }
            assertMergedHeaderConsistent(w);
            int count = splitter.split(w, 0, w.length, segments, HEADROOM, lengths);
            assertTrue(count >= 2 && count <= GroCoalescer.MAX_SEGMENTS);
            for (int i = 0; i < count; i++) {
                byte[] pkt = Arrays.copyOfRange(segments[i], HEADROOM, HEADROOM + lengths[i]);
                byPort.get(Pkt.get16(pkt, v6 ? 40 : 20)).received.add(pkt);
                packetsOut++;
            }
        }
        assertEquals(n, packetsOut, "seed " + seed);
        for (Flow f : flows) {
            assertEquals(f.sent.size(), f.received.size(), "seed " + seed);
            for (int i = 0; i < f.sent.size(); i++) {
                assertArrayEquals(f.sent.get(i), f.received.get(i), "seed " + seed + " packet " + i);
            }
        }
        // Merged writes come out in the order of their first packet: the first write is the first packet's.
        assertEquals(Pkt.get16(order.get(0).sent.get(0), v6 ? 40 : 20), Pkt.get16(recorder.writes.get(0),
                VirtioNetHeader.SIZE + (v6 ? 40 : 20)));
        return n - writes;
    }

    private static void assertMergedHeaderConsistent(byte[] w) {
        int off = VirtioNetHeader.SIZE;
        int len = w.length - off;
        boolean v4 = (w[off] & 0xf0) == 0x40;
        int iph = v4 ? 20 : 40;
        assertEquals(VirtioNetHeader.FLAG_NEEDS_CSUM, VirtioNetHeader.flags(w, 0));
        assertEquals(iph, VirtioNetHeader.csumStart(w, 0));
        if (v4) {
            assertEquals(len, Pkt.get16(w, off + 2));
            assertTrue(RefChecksum.ipv4HeaderValid(w, off));
        } else {
            assertEquals(len - 40, Pkt.get16(w, off + 4));
        }
        int proto = RefChecksum.protocol(w, off);
        int field = off + iph + VirtioNetHeader.csumOffset(w, 0);
        assertEquals(RefChecksum.pseudoHeaderSum(w, off, proto, len - iph), Pkt.get16(w, field));
    }

    @Test
    void coalesceOfSplitGivesBackTheSuperPacket() throws Exception {
        Random rnd = new Random(99);
        for (int trial = 0; trial < 300; trial++) {
            boolean v6 = rnd.nextBoolean();
            boolean udp = rnd.nextInt(3) == 0;
            int hdr = (v6 ? 40 : 20) + (udp ? 8 : 20);
            int payload = 2 + rnd.nextInt(65535 - hdr - 1);
            int minGso = (payload + GroCoalescer.MAX_SEGMENTS - 1) / GroCoalescer.MAX_SEGMENTS;
            int gso = minGso + rnd.nextInt(Math.max(1, payload / 2 - minGso + 1));
            if (gso >= payload) {
                gso = payload - 1;
            }
            Pkt p = udp ? (v6 ? Pkt.udp6("fd00::a", "fd00::b", payload) : Pkt.udp4("10.1.1.1", "10.1.1.2", payload))
                    : (v6 ? Pkt.tcp6("fd00::a", "fd00::b", Pkt.ACK | Pkt.PSH, payload, rnd.nextInt())
                            : Pkt.tcp4("10.1.1.1", "10.1.1.2", Pkt.ACK | Pkt.PSH, payload, rnd.nextInt()));
            p.id = rnd.nextInt(65536);
            byte[] read = KernelReads.gso(p, gso);
            int count = splitter.split(read, 0, read.length, segments, HEADROOM, lengths);
            GroCoalescer c = new GroCoalescer(128, true);
            for (int i = 0; i < count; i++) {
                assertTrue(RefChecksum.transportValid(segments[i], HEADROOM, lengths[i]));
                c.add(segments[i], HEADROOM, lengths[i]);
            }
            GroCoalescerTest.Recorder r = new GroCoalescerTest.Recorder();
            c.flush(r);
            assertEquals(1, r.writes.size(), "trial " + trial + ": " + count + " segments of " + gso);
            assertArrayEquals(read, r.writes.get(0), "trial " + trial);
        }
    }
}
