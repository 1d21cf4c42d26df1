package io.cryptun.tun.offload;

/**
 * TCP super-packets as a TUN device with TSO hands them over (virtio-net header, GSO type, the
 * transport checksum left as the pseudo-header sum), for code that exercises the offload path
 * without a device: the daemon's start-up warm-up.
 */
public final class SuperPackets {
    private static final int IP_HEADER = 20;
    private static final int TCP_HEADER = 20;

    private SuperPackets() {
    }

    /**
     * A read of {@code segments} segments of {@code mss} bytes from {@code src}:1 to {@code dst}:2
     * (IPv4 addresses), sequence number 1, ACK set, a byte pattern as payload.
     */
    public static byte[] tcp4(byte[] src, byte[] dst, int mss, int segments) {
        int payload = mss * segments;
        int ipLen = IP_HEADER + TCP_HEADER + payload;
        byte[] b = new byte[VirtioNetHeader.SIZE + ipLen];
        new VirtioNetHeader().flags(VirtioNetHeader.FLAG_NEEDS_CSUM).gsoType(VirtioNetHeader.GSO_TCPV4)
                .hdrLen(IP_HEADER + TCP_HEADER).gsoSize(mss).csumStart(IP_HEADER).csumOffset(16).writeTo(b, 0);
        int ip = VirtioNetHeader.SIZE;
        b[ip] = 0x45;
        BigEndian.putU16(b, ip + 2, ipLen);
        b[ip + 6] = 0x40; // don't fragment
        b[ip + 8] = 64;
        b[ip + 9] = InternetChecksum.PROTO_TCP;
        System.arraycopy(src, 0, b, ip + 12, 4);
        System.arraycopy(dst, 0, b, ip + 16, 4);
        InternetChecksum.setIpv4HeaderChecksum(b, ip, IP_HEADER);
        int tcp = ip + IP_HEADER;
        BigEndian.putU16(b, tcp, 1);
        BigEndian.putU16(b, tcp + 2, 2);
        BigEndian.putU32(b, tcp + 4, 1);
        BigEndian.putU32(b, tcp + 8, 1);
        b[tcp + 12] = 0x50; // data offset: 5 words
        b[tcp + 13] = 0x10; // ACK
        BigEndian.putU16(b, tcp + 14, 65535);
        for (int i = 0; i < payload; i++) {
            b[tcp + TCP_HEADER + i] = (byte) i;
        }
        BigEndian.putU16(b, tcp + 16,
                InternetChecksum.fold(InternetChecksum.pseudoHeader(b, ip + 12, 4, InternetChecksum.PROTO_TCP, TCP_HEADER + payload)));
        return b;
    }

    /**
     * Sets the TCP sequence number of a {@link #tcp4} read (it is not in the pseudo-header: the
     * partial checksum stays right), so successive reads continue one stream.
     */
    public static void setTcp4Sequence(byte[] read, int seq) {
        BigEndian.putU32(read, VirtioNetHeader.SIZE + IP_HEADER + 4, seq);
    }
}
