package io.cryptun.noise.device;

import io.cryptun.noise.allowedips.IpPrefix;

/** Builds minimal IPv4/IPv6 packets (UDP payloads) for tests. */
public final class Packets {
    private Packets() {
    }

    public static byte[] ipv4(String src, String dst, int payloadLength) {
        byte[] p = new byte[20 + 8 + payloadLength];
        p[0] = 0x45;
        p[2] = (byte) (p.length >>> 8);
        p[3] = (byte) p.length;
        p[8] = 64;
        p[9] = 17;
        System.arraycopy(IpPrefix.parseNumericAddress(src), 0, p, 12, 4);
        System.arraycopy(IpPrefix.parseNumericAddress(dst), 0, p, 16, 4);
        int sum = 0;
        for (int i = 0; i < 20; i += 2) {
            sum += ((p[i] & 0xff) << 8) | (p[i + 1] & 0xff);
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        int ck = ~sum & 0xffff;
        p[10] = (byte) (ck >>> 8);
        p[11] = (byte) ck;
        for (int i = 28; i < p.length; i++) {
            p[i] = (byte) i;
        }
        return p;
    }

    public static byte[] ipv6(String src, String dst, int payloadLength) {
        byte[] p = new byte[40 + 8 + payloadLength];
        p[0] = 0x60;
        int pl = 8 + payloadLength;
        p[4] = (byte) (pl >>> 8);
        p[5] = (byte) pl;
        p[6] = 17;
        p[7] = 64;
        System.arraycopy(IpPrefix.parseNumericAddress(src), 0, p, 8, 16);
        System.arraycopy(IpPrefix.parseNumericAddress(dst), 0, p, 24, 16);
        for (int i = 48; i < p.length; i++) {
            p[i] = (byte) i;
        }
        return p;
    }
}
