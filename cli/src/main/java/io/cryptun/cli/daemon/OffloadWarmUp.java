package io.cryptun.cli.daemon;

import io.cryptun.noise.device.Protocol;
import io.cryptun.noise.device.SamplePackets;
import io.cryptun.tun.offload.GroCoalescer;
import io.cryptun.tun.offload.GsoSplitException;
import io.cryptun.tun.offload.GsoSplitter;
import io.cryptun.tun.offload.SuperPackets;
import io.cryptun.tun.offload.VirtioNetHeader;

/**
 * The TUN side of a TCP stream, in memory, for the start-up warm-up: super-packets as a TUN device
 * with offloads hands them over (virtio-net header, TSO, the checksum left partial) are split into
 * MTU-sized segments ({@link GsoSplitter}), and the segments merged back as the receiving side does
 * before it writes ({@link GroCoalescer}). The first seconds of a real TCP stream then run compiled
 * segmentation and coalescing code instead of the interpreter's. Packets that are not TCP (a ping's,
 * UDP over IPv4 and IPv6) go through the coalescer too, alone and in a burst: with TCP alone, the
 * compiled coalescer left their branches out, and a fresh daemon's first ping threw it away
 * (-Xlog:jit+compilation: GroCoalescer.add and parse "made not entrant: uncommon trap" on both sides).
 */
final class OffloadWarmUp {
    private static final int MSS = 1380;
    private static final int SEGMENTS = 44;

    private OffloadWarmUp() {
    }

    /** What a run did, for the test that keeps this honest. */
    record Result(long bytesWritten, long superPacketsWritten, long checksumFailures, long otherPacketsWritten) {
    }

    /** Splits and merges {@code superPackets} super-packets of {@value #SEGMENTS} segments each. */
    static Result run(int superPackets) throws GsoSplitException, java.io.IOException {
        GsoSplitter splitter = new GsoSplitter();
        GroCoalescer coalescer = new GroCoalescer(GroCoalescer.DEFAULT_MAX_PACKETS, false);
        byte[] read = SuperPackets.tcp4(new byte[] {10, 0, 0, 1}, new byte[] {10, 0, 0, 2}, MSS, SEGMENTS);
        byte[][] out = new byte[SEGMENTS][];
        int[] lengths = new int[SEGMENTS];
        byte[][] slots = new byte[GroCoalescer.DEFAULT_MAX_PACKETS][];
        for (int i = 0; i < SEGMENTS; i++) {
            out[i] = new byte[Protocol.HEADROOM + 2048 + Protocol.TAILROOM];
        }
        for (int i = 0; i < slots.length; i++) {
            slots[i] = new byte[VirtioNetHeader.SIZE + 2048];
        }
        long[] written = new long[1];
        GroCoalescer.TunWriter writer = (buf, off, len) -> written[0] += len;
        long[] others = new long[1];
        GroCoalescer.TunWriter otherWriter = (buf, off, len) -> others[0]++;
        byte[] v4a = {10, 0, 0, 1};
        byte[] v4b = {10, 0, 0, 2};
        byte[] v6a = new byte[16];
        byte[] v6b = new byte[16];
        v6a[0] = v6b[0] = (byte) 0xfd;
        v6a[15] = 1;
        v6b[15] = 2;
        byte[] ping = SamplePackets.icmp4Echo(v4a, v4b, 56);
        byte[][] burst = {SamplePackets.udp4(v4a, v4b, 100), SamplePackets.udp6(v6a, v6b, 100), ping};
        long seq = 1;
        for (int r = 0; r < superPackets; r++) {
            addCopy(coalescer, slots, ping);
            coalescer.flush(otherWriter);
            for (byte[] p : burst) {
                addCopy(coalescer, slots, p);
            }
            coalescer.flush(otherWriter);
            // the stream goes on: each super-packet follows the last
            SuperPackets.setTcp4Sequence(read, (int) seq);
            seq += (long) MSS * SEGMENTS;
            int n = splitter.split(read, 0, read.length, out, Protocol.HEADROOM, lengths);
            for (int i = 0; i < n; i++) {
                if (coalescer.size() == slots.length) {
                    coalescer.flush(writer);
                }
                byte[] slot = slots[coalescer.size()];
                System.arraycopy(out[i], Protocol.HEADROOM, slot, VirtioNetHeader.SIZE, lengths[i]);
                coalescer.add(slot, VirtioNetHeader.SIZE, lengths[i]);
            }
            coalescer.flush(writer);
        }
        return new Result(written[0], coalescer.superPackets(), coalescer.checksumFailures(), others[0]);
    }

    private static void addCopy(GroCoalescer coalescer, byte[][] slots, byte[] packet) {
        byte[] slot = slots[coalescer.size()];
        System.arraycopy(packet, 0, slot, VirtioNetHeader.SIZE, packet.length);
        coalescer.add(slot, VirtioNetHeader.SIZE, packet.length);
    }
}
