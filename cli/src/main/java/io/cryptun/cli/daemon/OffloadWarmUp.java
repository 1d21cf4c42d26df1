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
 * And TCP as Linux sends it, every {@value #VARIANTS_EVERY}th round: three sends in a row with the
 * timestamp option (whose value changes from one send to the next, so a run of segments ends where
 * it changes; every other time with a gap in sequence before the second), the second one ending in
 * a shorter segment, the third with PSH, and the other direction's pure ACKs. Fed only the plain
 * stream, the compiled coalescer and checksum code were thrown away in the first second of a real
 * TCP stream (-Xlog:deoptimization: unstable_if in GroCoalescer.parseTcp, tryJoin and add and in
 * InternetChecksum.add) and ran in the interpreter until C2 had compiled them again, seconds later.
 */
final class OffloadWarmUp {
    private static final int MSS = 1380;
    /** With the timestamp option: 1,420 bytes of MTU less IPv4, TCP and 12 bytes of option. */
    private static final int MSS_TIMESTAMPS = 1368;
    private static final int SEGMENTS = 44;
    private static final int SEGMENTS_TIMESTAMPS = 20;
    /** IPv4 and TCP with the timestamp option. */
    private static final int HEADERS_TIMESTAMPS = 20 + 32;
    /**
     * The second timestamped send is this many bytes short: its last segment is, and its length is
     * 7 modulo 8, which takes the checksum's 4-, 2- and 1-byte tails.
     */
    private static final int SHORT_BY = 1;
    static final int VARIANTS_EVERY = 8;
    private static final int ACKS = 4;
    private static final byte[] V4A = {10, 0, 0, 1};
    private static final byte[] V4B = {10, 0, 0, 2};

    private final GsoSplitter splitter = new GsoSplitter();
    private final GroCoalescer coalescer = new GroCoalescer(GroCoalescer.DEFAULT_MAX_PACKETS, false);
    private final byte[][] out = new byte[SEGMENTS][];
    private final int[] lengths = new int[SEGMENTS];
    private final byte[][] slots = new byte[GroCoalescer.DEFAULT_MAX_PACKETS][];
    private long written;
    private long others;
    private final GroCoalescer.TunWriter writer = (buf, off, len) -> written += len;
    private final GroCoalescer.TunWriter otherWriter = (buf, off, len) -> others++;

    private OffloadWarmUp() {
        for (int i = 0; i < SEGMENTS; i++) {
            out[i] = new byte[Protocol.HEADROOM + 2048 + Protocol.TAILROOM];
        }
        for (int i = 0; i < slots.length; i++) {
            slots[i] = new byte[VirtioNetHeader.SIZE + 2048];
        }
    }

    /** What a run did, for the test that keeps this honest. */
    record Result(long bytesWritten, long superPacketsWritten, long checksumFailures, long otherPacketsWritten) {
    }

    /**
     * {@code rounds} rounds of: a ping alone, a burst of UDP and a ping, and a super-packet of
     * {@value #SEGMENTS} segments split and merged back; every {@value #VARIANTS_EVERY}th round also
     * three timestamped sends of {@value #SEGMENTS_TIMESTAMPS} segments and {@value #ACKS} pure ACKs.
     */
    static Result run(int rounds) throws GsoSplitException, java.io.IOException {
        return new OffloadWarmUp().runRounds(rounds);
    }

    private Result runRounds(int rounds) throws GsoSplitException, java.io.IOException {
        byte[] plain = SuperPackets.tcp4(V4A, V4B, MSS, SEGMENTS);
        byte[] stamped = SuperPackets.tcp4(V4A, V4B, MSS_TIMESTAMPS, SEGMENTS_TIMESTAMPS, true, 0);
        byte[] stampedShort = SuperPackets.tcp4(V4A, V4B, MSS_TIMESTAMPS, SEGMENTS_TIMESTAMPS, true, SHORT_BY);
        byte[] v6a = new byte[16];
        byte[] v6b = new byte[16];
        v6a[0] = v6b[0] = (byte) 0xfd;
        v6a[15] = 1;
        v6b[15] = 2;
        byte[] ping = SamplePackets.icmp4Echo(V4A, V4B, 56);
        byte[][] burst = {SamplePackets.udp4(V4A, V4B, 100), SamplePackets.udp6(v6a, v6b, 100), ping};
        long seq = 1;
        long stampedSeq = 1;
        // the ping as a TUN read hands it over: a virtio-net header that asks for nothing
        byte[] pingRead = new byte[VirtioNetHeader.SIZE + ping.length];
        System.arraycopy(ping, 0, pingRead, VirtioNetHeader.SIZE, ping.length);
        for (int r = 0; r < rounds; r++) {
            splitAndAdd(pingRead);
            coalescer.flush(otherWriter);
            for (byte[] p : burst) {
                addCopy(p);
            }
            coalescer.flush(otherWriter);
            // the stream goes on: each super-packet follows the last
            SuperPackets.setTcp4Sequence(plain, (int) seq);
            seq += (long) MSS * SEGMENTS;
            splitAndAdd(plain);
            if (r % VARIANTS_EVERY == 0) {
                // two sends before the write: the run they make reaches the largest packet a TUN
                // write takes, and the rest starts another
                SuperPackets.setTcp4Sequence(plain, (int) seq);
                seq += (long) MSS * SEGMENTS;
                splitAndAdd(plain);
            }
            coalescer.flush(writer);
            if (r % VARIANTS_EVERY == 0) {
                // three sends in one batch: the second's first segment follows the first's last in
                // sequence but cannot join it (a later timestamp), the second ends short (which
                // closes its run), the third meets that closed run and ends with PSH
                stampedSeq = stampedSend(stamped, stampedSeq, r, false);
                if ((r / VARIANTS_EVERY) % 2 == 0) {
                    // every other time a segment's worth missing (lost, or still on its way): the
                    // second send then does not follow the first in sequence either
                    stampedSeq += MSS_TIMESTAMPS;
                }
                stampedSeq = stampedSend(stampedShort, stampedSeq, r + 1, false);
                stampedSeq = stampedSend(stamped, stampedSeq, r + 1, true);
                coalescer.flush(writer);
                // the other direction: pure ACKs, which no segment joins
                for (int a = 0; a < ACKS; a++) {
                    addCopy(SuperPackets.tcp4Ack(V4B, V4A, (int) stampedSeq - (ACKS - a) * MSS_TIMESTAMPS, r + a));
                }
                coalescer.flush(otherWriter);
            }
        }
        return new Result(written, coalescer.superPackets(), coalescer.checksumFailures(), others);
    }

    /** One timestamped send at {@code seq}; returns the sequence number after it. */
    private long stampedSend(byte[] read, long seq, int tsval, boolean push) throws GsoSplitException, java.io.IOException {
        SuperPackets.setTcp4Sequence(read, (int) seq);
        SuperPackets.setTcp4Timestamp(read, tsval);
        SuperPackets.setTcp4Push(read, push);
        splitAndAdd(read);
        int payload = read.length - VirtioNetHeader.SIZE - HEADERS_TIMESTAMPS;
        return seq + payload;
    }

    /** Splits a read as the TUN reader does and adds its segments as the receiving side does. */
    private void splitAndAdd(byte[] read) throws GsoSplitException, java.io.IOException {
        int n = splitter.split(read, 0, read.length, out, Protocol.HEADROOM, lengths);
        for (int i = 0; i < n; i++) {
            if (coalescer.size() == slots.length) {
                coalescer.flush(writer);
            }
            byte[] slot = slots[coalescer.size()];
            System.arraycopy(out[i], Protocol.HEADROOM, slot, VirtioNetHeader.SIZE, lengths[i]);
            coalescer.add(slot, VirtioNetHeader.SIZE, lengths[i]);
        }
    }

    private void addCopy(byte[] packet) {
        byte[] slot = slots[coalescer.size()];
        System.arraycopy(packet, 0, slot, VirtioNetHeader.SIZE, packet.length);
        coalescer.add(slot, VirtioNetHeader.SIZE, packet.length);
    }
}
