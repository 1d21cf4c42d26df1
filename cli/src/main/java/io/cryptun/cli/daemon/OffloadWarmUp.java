package io.cryptun.cli.daemon;

import io.cryptun.noise.device.Protocol;
import io.cryptun.tun.offload.GroCoalescer;
import io.cryptun.tun.offload.GsoSplitException;
import io.cryptun.tun.offload.GsoSplitter;
import io.cryptun.tun.offload.VirtioNetHeader;

/**
 * The TUN side of a TCP stream, in memory, for the start-up warm-up: super-packets as a TUN device
 * with offloads hands them over (virtio-net header, TSO, the checksum left partial) are split into
 * MTU-sized segments ({@link GsoSplitter}), and the segments merged back as the receiving side does
 * before it writes ({@link GroCoalescer}). The first seconds of a real TCP stream then run compiled
 * segmentation and coalescing code instead of the interpreter's.
 */
final class OffloadWarmUp {
    private static final int MSS = 1380;
    private static final int SEGMENTS = 44;
    private static final int IP_HEADER = 20;
    private static final int TCP_HEADER = 20;

    private OffloadWarmUp() {
    }

    /** What a run did, for the test that keeps this honest. */
    record Result(long bytesWritten, long superPacketsWritten, long checksumFailures) {
    }

    /** Splits and merges {@code superPackets} super-packets of {@value #SEGMENTS} segments each. */
    static Result run(int superPackets) throws GsoSplitException, java.io.IOException {
        GsoSplitter splitter = new GsoSplitter();
        GroCoalescer coalescer = new GroCoalescer(GroCoalescer.DEFAULT_MAX_PACKETS, false);
        byte[] read = superPacket();
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
        int tcp = VirtioNetHeader.SIZE + IP_HEADER;
        long seq = 1;
        for (int r = 0; r < superPackets; r++) {
            // the stream goes on: each super-packet follows the last (the sequence number is not in
            // the pseudo-header, so the partial checksum stays right)
            putInt(read, tcp + 4, (int) seq);
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
        return new Result(written[0], coalescer.superPackets(), coalescer.checksumFailures());
    }

    /** An IPv4 TCP super-packet 10.0.0.1:1 -> 10.0.0.2:2 as a TUN device with TSO reads it. */
    private static byte[] superPacket() {
        int payload = MSS * SEGMENTS;
        int ipLen = IP_HEADER + TCP_HEADER + payload;
        byte[] b = new byte[VirtioNetHeader.SIZE + ipLen];
        new VirtioNetHeader().flags(VirtioNetHeader.FLAG_NEEDS_CSUM).gsoType(VirtioNetHeader.GSO_TCPV4)
                .hdrLen(IP_HEADER + TCP_HEADER).gsoSize(MSS).csumStart(IP_HEADER).csumOffset(16).writeTo(b, 0);
        int ip = VirtioNetHeader.SIZE;
        b[ip] = 0x45;
        putShort(b, ip + 2, ipLen);
        b[ip + 6] = 0x40; // don't fragment
        b[ip + 8] = 64;
        b[ip + 9] = 6;
        byte[] src = {10, 0, 0, 1};
        byte[] dst = {10, 0, 0, 2};
        System.arraycopy(src, 0, b, ip + 12, 4);
        System.arraycopy(dst, 0, b, ip + 16, 4);
        putShort(b, ip + 10, ~fold(sum(b, ip, IP_HEADER)) & 0xffff);
        int tcp = ip + IP_HEADER;
        putShort(b, tcp, 1);
        putShort(b, tcp + 2, 2);
        putInt(b, tcp + 8, 1);
        b[tcp + 12] = 0x50; // data offset: 5 words
        b[tcp + 13] = 0x10; // ACK
        putShort(b, tcp + 14, 65535);
        for (int i = 0; i < payload; i++) {
            b[tcp + TCP_HEADER + i] = (byte) i;
        }
        // NEEDS_CSUM: the checksum field holds the pseudo-header sum (addresses, protocol, TCP length)
        long pseudo = sum(b, ip + 12, 8) + 6 + (TCP_HEADER + payload);
        putShort(b, tcp + 16, fold(pseudo));
        return b;
    }

    private static long sum(byte[] b, int off, int len) {
        long s = 0;
        for (int i = 0; i + 1 < len; i += 2) {
            s += ((b[off + i] & 0xff) << 8) | (b[off + i + 1] & 0xff);
        }
        return s;
    }

    private static int fold(long s) {
        while ((s >>> 16) != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) s;
    }

    private static void putShort(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 8);
        b[at + 1] = (byte) v;
    }

    private static void putInt(byte[] b, int at, int v) {
        putShort(b, at, v >>> 16);
        putShort(b, at + 2, v);
    }
}
