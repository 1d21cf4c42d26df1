package io.cryptun.noise.device;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.noise.wire.Bytes;

/**
 * Well-formed IPv4/UDP and IPv6/UDP packets made up, not read from a TUN device: for the JIT
 * warm-up, the tests and the benchmarks, which need traffic the device routes like the real kind.
 * Lengths and addresses are right, and so is the IPv4 header checksum; the UDP checksum is zero
 * (nothing on the tunnel's path checks it) and the payload a fixed pattern, not zeros, so that a
 * test comparing what was sent with what arrived sees a byte out of place.
 */
public final class SamplePackets {
    /** The bytes before an IPv4/UDP packet's payload: IPv4 header and UDP header. */
    public static final int UDP4_HEADERS = InnerPacket.IPV4_HEADER + 8;
    /** The bytes before an IPv6/UDP packet's payload: IPv6 header and UDP header. */
    public static final int UDP6_HEADERS = InnerPacket.IPV6_HEADER + 8;
    private static final int SOURCE_PORT = 40000;
    private static final int DESTINATION_PORT = 5201;
    private static final int ICMP = 1;
    private static final int UDP = 17;
    private static final int HOP_LIMIT = 64;

    private SamplePackets() {
    }

    /** An IPv4/UDP packet from {@code src} to {@code dst} (numeric addresses) with {@code payloadLength} bytes of payload. */
    public static byte[] udp4(String src, String dst, int payloadLength) {
        return udp4(IpPrefix.parseNumericAddress(src), IpPrefix.parseNumericAddress(dst), payloadLength);
    }

    /** An IPv4/UDP packet from {@code src} to {@code dst} (4 bytes each) with {@code payloadLength} bytes of payload. */
    public static byte[] udp4(byte[] src, byte[] dst, int payloadLength) {
        byte[] p = new byte[checkedLength(UDP4_HEADERS, payloadLength)];
        p[0] = 0x45;
        Bytes.writeShortBE(p, 2, p.length);
        p[8] = HOP_LIMIT;
        p[9] = UDP;
        System.arraycopy(src, 0, p, InnerPacket.IPV4_SRC, 4);
        System.arraycopy(dst, 0, p, InnerPacket.IPV4_DST, 4);
        Bytes.writeShortBE(p, 10, ipv4HeaderChecksum(p));
        writeUdpHeaderAndPayload(p, InnerPacket.IPV4_HEADER);
        return p;
    }

    /**
     * An IPv4 ICMP echo request (what ping sends) from {@code src} to {@code dst} with {@code dataLength} bytes
     * of data; its IP header checksum is right, its ICMP checksum is left 0 (nothing on a tunnel's path reads it).
     */
    public static byte[] icmp4Echo(byte[] src, byte[] dst, int dataLength) {
        // ICMP's echo header is 8 bytes, as UDP's: the same layout with another protocol and header
        byte[] p = udp4(src, dst, dataLength);
        p[9] = ICMP;
        Bytes.writeShortBE(p, 10, 0);
        Bytes.writeShortBE(p, 10, ipv4HeaderChecksum(p));
        int icmp = InnerPacket.IPV4_HEADER;
        p[icmp] = 8;
        p[icmp + 1] = 0;
        Bytes.writeShortBE(p, icmp + 2, 0);
        Bytes.writeShortBE(p, icmp + 4, 0x4321);
        Bytes.writeShortBE(p, icmp + 6, 1);
        return p;
    }

    /** An IPv6/UDP packet from {@code src} to {@code dst} (numeric addresses) with {@code payloadLength} bytes of payload. */
    public static byte[] udp6(String src, String dst, int payloadLength) {
        return udp6(IpPrefix.parseNumericAddress(src), IpPrefix.parseNumericAddress(dst), payloadLength);
    }

    /** An IPv6/UDP packet from {@code src} to {@code dst} (16 bytes each) with {@code payloadLength} bytes of payload. */
    public static byte[] udp6(byte[] src, byte[] dst, int payloadLength) {
        byte[] p = new byte[checkedLength(UDP6_HEADERS, payloadLength)];
        p[0] = 0x60;
        Bytes.writeShortBE(p, 4, p.length - InnerPacket.IPV6_HEADER);
        p[6] = UDP;
        p[7] = HOP_LIMIT;
        System.arraycopy(src, 0, p, InnerPacket.IPV6_SRC, 16);
        System.arraycopy(dst, 0, p, InnerPacket.IPV6_DST, 16);
        writeUdpHeaderAndPayload(p, InnerPacket.IPV6_HEADER);
        return p;
    }

    private static int checkedLength(int headers, int payloadLength) {
        if (payloadLength < 0 || headers + payloadLength > Worker.MAX_PACKET) {
            throw new IllegalArgumentException("UDP payload length must be 0.." + (Worker.MAX_PACKET - headers)
                    + ", not " + payloadLength);
        }
        return headers + payloadLength;
    }

    private static void writeUdpHeaderAndPayload(byte[] p, int udpStart) {
        Bytes.writeShortBE(p, udpStart, SOURCE_PORT);
        Bytes.writeShortBE(p, udpStart + 2, DESTINATION_PORT);
        Bytes.writeShortBE(p, udpStart + 4, p.length - udpStart);
        for (int i = udpStart + 8; i < p.length; i++) {
            p[i] = (byte) i;
        }
    }

    private static int ipv4HeaderChecksum(byte[] p) {
        int sum = 0;
        for (int i = 0; i < InnerPacket.IPV4_HEADER; i += 2) {
            sum += ((p[i] & 0xff) << 8) | (p[i + 1] & 0xff);
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return ~sum & 0xffff;
    }
}
