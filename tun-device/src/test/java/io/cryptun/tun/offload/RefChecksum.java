package io.cryptun.tun.offload;

/**
 * A deliberately plain RFC 1071 checksum (16-bit words, one at a time), independent of {@link InternetChecksum},
 * used by the tests to check what the code under test produced.
 */
final class RefChecksum {

    private RefChecksum() {
    }

    /** Ones' complement sum (folded, not complemented) of the bytes, starting from {@code initial}. */
    static int sum(byte[] b, int off, int len, int initial) {
        int s = initial;
        for (int i = 0; i < len; i += 2) {
            int hi = b[off + i] & 0xff;
            int lo = i + 1 < len ? b[off + i + 1] & 0xff : 0;
            s += (hi << 8) | lo;
            s = (s & 0xffff) + (s >>> 16);
        }
        return s;
    }

    static int pseudoHeaderSum(byte[] pkt, int off, int protocol, int transportLen) {
        boolean v4 = (pkt[off] & 0xf0) == 0x40;
        int addrOff = v4 ? 12 : 8;
        int addrLen = v4 ? 4 : 16;
        int s = sum(pkt, off + addrOff, 2 * addrLen, 0);
        s = addFolded(s, protocol);
        return addFolded(s, transportLen);
    }

    static int addFolded(int a, int b) {
        int s = a + b;
        return (s & 0xffff) + (s >>> 16);
    }

    /** Transport header offset of a packet without IPv6 extension headers. */
    static int l4(byte[] pkt, int off) {
        return (pkt[off] & 0xf0) == 0x40 ? (pkt[off] & 0xf) * 4 : 40;
    }

    static int protocol(byte[] pkt, int off) {
        return (pkt[off] & 0xf0) == 0x40 ? pkt[off + 9] & 0xff : pkt[off + 6] & 0xff;
    }

    static boolean ipv4HeaderValid(byte[] pkt, int off) {
        return sum(pkt, off, (pkt[off] & 0xf) * 4, 0) == 0xffff;
    }

    /** Whether the TCP/UDP checksum of the packet is correct (a zero UDP checksum over IPv4 counts as absent). */
    static boolean transportValid(byte[] pkt, int off, int len) {
        int l4 = l4(pkt, off);
        int proto = protocol(pkt, off);
        if (proto == 17 && (pkt[off] & 0xf0) == 0x40 && pkt[off + l4 + 6] == 0 && pkt[off + l4 + 7] == 0) {
            return true;
        }
        int s = pseudoHeaderSum(pkt, off, proto, len - l4);
        return sum(pkt, off + l4, len - l4, s) == 0xffff;
    }

    /** Computes and stores the transport checksum (TCP at +16, UDP at +6) of a packet. */
    static void setTransport(byte[] pkt, int off, int len) {
        int l4 = l4(pkt, off);
        int proto = protocol(pkt, off);
        int at = off + l4 + (proto == 6 ? 16 : 6);
        pkt[at] = 0;
        pkt[at + 1] = 0;
        int c = ~sum(pkt, off + l4, len - l4, pseudoHeaderSum(pkt, off, proto, len - l4)) & 0xffff;
        if (proto == 17 && c == 0) {
            c = 0xffff;
        }
        pkt[at] = (byte) (c >>> 8);
        pkt[at + 1] = (byte) c;
    }

    static void setIpv4Header(byte[] pkt, int off) {
        pkt[off + 10] = 0;
        pkt[off + 11] = 0;
        int c = ~sum(pkt, off, (pkt[off] & 0xf) * 4, 0) & 0xffff;
        pkt[off + 10] = (byte) (c >>> 8);
        pkt[off + 11] = (byte) c;
    }
}
