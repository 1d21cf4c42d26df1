package io.cryptun.tun.offload;

/**
 * TCP super-packets as a TUN device with TSO hands them over (virtio-net header, GSO type, the
 * transport checksum left as the pseudo-header sum), for code that exercises the offload path
 * without a device: the daemon's start-up warm-up.
 */
public final class SuperPackets {
    private static final int IP_HEADER = 20;
    private static final int TCP_HEADER = 20;
    private static final int TIMESTAMP_OPTION = 12;

    private SuperPackets() {
    }

    /**
     * A read of {@code segments} segments of {@code mss} bytes from {@code src}:1 to {@code dst}:2
     * (IPv4 addresses), sequence number 1, ACK set, a byte pattern as payload.
     */
    public static byte[] tcp4(byte[] src, byte[] dst, int mss, int segments) {
        return tcp4(src, dst, mss, segments, false, 0);
    }

    /**
     * As {@link #tcp4(byte[], byte[], int, int)}, optionally with the TCP header Linux sends (the
     * timestamp option: 12 more bytes, which coalescing must compare) and a payload {@code shortBy}
     * bytes short of {@code mss * segments}, so that the last segment is shorter than the others.
     * {@link #setTcp4Push} marks it as the end of a send.
     */
    public static byte[] tcp4(byte[] src, byte[] dst, int mss, int segments, boolean timestamps, int shortBy) {
        int th = timestamps ? TCP_HEADER + TIMESTAMP_OPTION : TCP_HEADER;
        int payload = mss * segments - shortBy;
        int ipLen = IP_HEADER + th + payload;
        byte[] b = new byte[VirtioNetHeader.SIZE + ipLen];
        new VirtioNetHeader().flags(VirtioNetHeader.FLAG_NEEDS_CSUM).gsoType(VirtioNetHeader.GSO_TCPV4)
                .hdrLen(IP_HEADER + th).gsoSize(mss).csumStart(IP_HEADER).csumOffset(16).writeTo(b, 0);
        int ip = VirtioNetHeader.SIZE;
        int tcp = writeIpv4AndTcp(b, ip, src, dst, th, payload, 1);
        for (int i = 0; i < payload; i++) {
            b[tcp + th + i] = (byte) i;
        }
        // partial: the pseudo-header sum alone, as the kernel leaves it for the device to finish
        BigEndian.putU16(b, tcp + 16,
                InternetChecksum.fold(InternetChecksum.pseudoHeader(b, ip + 12, 4, InternetChecksum.PROTO_TCP, th + payload)));
        return b;
    }

    /**
     * A pure ACK from {@code src}:2 to {@code dst}:1 as the receiving end of a {@link #tcp4} stream
     * sends it back (timestamp option, no payload, checksum complete), without virtio-net header.
     */
    public static byte[] tcp4Ack(byte[] src, byte[] dst, int ack, int tsval) {
        int th = TCP_HEADER + TIMESTAMP_OPTION;
        byte[] b = new byte[IP_HEADER + th];
        int tcp = writeIpv4AndTcp(b, 0, src, dst, th, 0, 1);
        BigEndian.putU16(b, tcp, 2);
        BigEndian.putU16(b, tcp + 2, 1);
        BigEndian.putU32(b, tcp + 8, ack);
        BigEndian.putU32(b, tcp + TCP_HEADER + 4, tsval);
        BigEndian.putU16(b, tcp + 16, InternetChecksum.finish(InternetChecksum.add(
                InternetChecksum.pseudoHeader(b, 12, 4, InternetChecksum.PROTO_TCP, th), b, tcp, th)));
        return b;
    }

    /** Sets or clears PSH, which segmentation leaves on the last segment only (not in the pseudo-header). */
    public static void setTcp4Push(byte[] read, boolean push) {
        read[VirtioNetHeader.SIZE + IP_HEADER + 13] = (byte) (push ? 0x18 : 0x10);
    }

    /** Sets the timestamp value of a {@link #tcp4} read made with timestamps (not in the pseudo-header). */
    public static void setTcp4Timestamp(byte[] read, int tsval) {
        BigEndian.putU32(read, VirtioNetHeader.SIZE + IP_HEADER + TCP_HEADER + 4, tsval);
    }

    /** IPv4 and TCP headers (ACK set, sequence {@code seq}, the timestamp option when th says so); returns the TCP offset. */
    private static int writeIpv4AndTcp(byte[] b, int ip, byte[] src, byte[] dst, int th, int payload, int seq) {
        b[ip] = 0x45;
        BigEndian.putU16(b, ip + 2, IP_HEADER + th + payload);
        b[ip + 6] = 0x40; // don't fragment
        b[ip + 8] = 64;
        b[ip + 9] = InternetChecksum.PROTO_TCP;
        System.arraycopy(src, 0, b, ip + 12, 4);
        System.arraycopy(dst, 0, b, ip + 16, 4);
        InternetChecksum.setIpv4HeaderChecksum(b, ip, IP_HEADER);
        int tcp = ip + IP_HEADER;
        BigEndian.putU16(b, tcp, 1);
        BigEndian.putU16(b, tcp + 2, 2);
        BigEndian.putU32(b, tcp + 4, seq);
        BigEndian.putU32(b, tcp + 8, 1);
        b[tcp + 12] = (byte) ((th / 4) << 4); // data offset in 32-bit words
        b[tcp + 13] = 0x10; // ACK
        BigEndian.putU16(b, tcp + 14, 65535);
        if (th > TCP_HEADER) {
            // NOP, NOP, timestamps (kind 8, length 10): value 1, echo 1
            b[tcp + 20] = 1;
            b[tcp + 21] = 1;
            b[tcp + 22] = 8;
            b[tcp + 23] = 10;
            BigEndian.putU32(b, tcp + 24, 1);
            BigEndian.putU32(b, tcp + 28, 1);
        }
        return tcp;
    }

    /**
     * Sets the TCP sequence number of a {@link #tcp4} read (it is not in the pseudo-header: the
     * partial checksum stays right), so successive reads continue one stream.
     */
    public static void setTcp4Sequence(byte[] read, int seq) {
        BigEndian.putU32(read, VirtioNetHeader.SIZE + IP_HEADER + 4, seq);
    }
}
