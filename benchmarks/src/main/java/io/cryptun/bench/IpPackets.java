package io.cryptun.bench;

import io.cryptun.noise.allowedips.IpPrefix;

/** Builds the IPv4/UDP packets the packet-path benchmarks push through the tunnel. */
public final class IpPackets {
    private static final int IPV4_HEADER = 20;
    private static final int UDP_HEADER = 8;

    private IpPackets() {
    }

    /** An IPv4 packet of exactly {@code totalLength} bytes (at least 28) carrying UDP from src to dst. */
    public static byte[] udp4(String src, String dst, int totalLength) {
        if (totalLength < IPV4_HEADER + UDP_HEADER || totalLength > 65535) {
            throw new IllegalArgumentException("IPv4/UDP packet length must be 28..65535, not " + totalLength);
        }
        byte[] p = new byte[totalLength];
        p[0] = 0x45;
        p[2] = (byte) (totalLength >>> 8);
        p[3] = (byte) totalLength;
        p[8] = 64;
        p[9] = 17;
        System.arraycopy(IpPrefix.parseNumericAddress(src), 0, p, 12, 4);
        System.arraycopy(IpPrefix.parseNumericAddress(dst), 0, p, 16, 4);
        int checksum = headerChecksum(p);
        p[10] = (byte) (checksum >>> 8);
        p[11] = (byte) checksum;
        int udpLength = totalLength - IPV4_HEADER;
        p[IPV4_HEADER] = (byte) (40000 >>> 8);
        p[IPV4_HEADER + 1] = (byte) 40000;
        p[IPV4_HEADER + 2] = (byte) (5201 >>> 8);
        p[IPV4_HEADER + 3] = (byte) 5201;
        p[IPV4_HEADER + 4] = (byte) (udpLength >>> 8);
        p[IPV4_HEADER + 5] = (byte) udpLength;
        for (int i = IPV4_HEADER + UDP_HEADER; i < totalLength; i++) {
            p[i] = (byte) (i * 31);
        }
        return p;
    }

    private static int headerChecksum(byte[] p) {
        int sum = 0;
        for (int i = 0; i < IPV4_HEADER; i += 2) {
            sum += ((p[i] & 0xff) << 8) | (p[i + 1] & 0xff);
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return ~sum & 0xffff;
    }
}
