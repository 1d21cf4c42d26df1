package io.cryptun.tun.offload;

import static io.cryptun.tun.offload.BigEndian.u16;
import static io.cryptun.tun.offload.BigEndian.u32;
import static io.cryptun.tun.offload.InternetChecksum.PROTO_TCP;
import static io.cryptun.tun.offload.InternetChecksum.PROTO_UDP;

/**
 * What {@link GroCoalescer} needs to know of each packet it is given, read from its headers in one pass:
 * the flow it belongs to (kind, addresses and ports, as a hash), where its transport header starts and
 * how long it is, its payload, TCP sequence number and PSH, and whether it may be merged at all. The
 * rules are the coalescer's (see there); this reads the headers, the coalescer decides.
 * One instance per coalescer, reused for every packet; nothing is allocated.
 */
final class GroClassifier {
    static final int TCP_ACK = 0x10;
    static final int TCP_PSH = 0x08;

    static final byte KIND_NONE = 0;
    static final byte KIND_TCP4 = 1;
    static final byte KIND_TCP6 = 2;
    static final byte KIND_UDP4 = 3;
    static final byte KIND_UDP6 = 4;

    private final boolean udpGro;

    // What classify() found out about the packet: valid until the next call.
    byte kind;
    int l4;
    int thLen;
    int payload;
    int seq;
    boolean psh;
    /** Cleared by the coalescer too, for a packet whose checksum failed: its item must not take others. */
    boolean mergeable;
    int hash;

    /** @param udpGro whether UDP datagrams may merge (the device accepted USO) */
    GroClassifier(boolean udpGro) {
        this.udpGro = udpGro;
    }

    /**
     * Finds the packet's flow and whether it may be merged; false if it has no TCP/UDP flow (other protocols,
     * non-first fragments, truncated headers). Sets the fields.
     */
    boolean classify(byte[] b, int o, int n) {
        if (n < 20) {
            return false;
        }
        int version = (b[o] & 0xff) >>> 4;
        mergeable = true;
        int proto;
        if (version == 4) {
            proto = parseIpv4(b, o, n);
        } else if (version == 6) {
            proto = parseIpv6(b, o, n);
        } else {
            return false;
        }
        if (proto != PROTO_TCP && proto != PROTO_UDP) {
            return false;
        }
        int l4 = this.l4;
        if (l4 + 4 > n) {
            return false;
        }
        boolean tcp = proto == PROTO_TCP;
        kind = version == 4 ? (tcp ? KIND_TCP4 : KIND_UDP4) : (tcp ? KIND_TCP6 : KIND_UDP6);
        hash = flowHash(b, o, version, l4, kind);
        psh = false;
        thLen = 0;
        payload = 0;
        if (n > GroCoalescer.MAX_PACKET) {
            mergeable = false;
        }
        if (tcp) {
            parseTcp(b, o, n, l4);
        } else {
            parseUdp(b, o, n, l4);
        }
        return true;
    }

    /**
     * The IPv4 header: the protocol after it, or -1 when the packet has no flow (bad header length, a
     * non-first fragment). Sets l4; clears mergeable for a first fragment, options, a length that
     * disagrees or a wrong header checksum.
     */
    private int parseIpv4(byte[] b, int o, int n) {
        int ihl = (b[o] & 0xf) * 4;
        if (ihl < 20 || ihl > n) {
            return -1;
        }
        int frag = u16(b, o + 6);
        if ((frag & 0x1fff) != 0) {
            return -1;
        }
        if ((frag & 0x2000) != 0 || ihl != 20 || u16(b, o + 2) != n
                || !InternetChecksum.ipv4HeaderValid(b, o, ihl)) {
            mergeable = false;
        }
        l4 = ihl;
        return b[o + 9] & 0xff;
    }

    /**
     * The IPv6 header and extension headers: the transport protocol behind them, or -1 when the packet
     * has no flow (truncated, a non-first fragment, a header this does not walk). Sets l4; clears
     * mergeable for a payload length that disagrees or any extension header.
     */
    private int parseIpv6(byte[] b, int o, int n) {
        if (n < 40) {
            return -1;
        }
        if (u16(b, o + 4) != n - 40) {
            mergeable = false;
        }
        int proto = b[o + 6] & 0xff;
        int l4 = 40;
        // Extension headers rule out merging, but the ports behind them still identify the flow.
        for (int hops = 0; proto != PROTO_TCP && proto != PROTO_UDP; hops++) {
            if (hops == 8 || l4 + 8 > n) {
                return -1;
            }
            mergeable = false;
            if (proto == 44) { // fragment header
                if ((u16(b, o + l4 + 2) & 0xfff8) != 0) {
                    return -1;
                }
                proto = b[o + l4] & 0xff;
                l4 += 8;
            } else if (proto == 0 || proto == 43 || proto == 60) {
                proto = b[o + l4] & 0xff;
                l4 += ((b[o + l4 + 1] & 0xff) + 1) * 8;
            } else {
                return -1;
            }
        }
        this.l4 = l4;
        return proto;
    }

    /** Sets thLen, payload, seq and psh of a TCP segment that may merge (ACK, maybe PSH, a payload). */
    private void parseTcp(byte[] b, int o, int n, int l4) {
        if (l4 + 20 > n) {
            mergeable = false;
            return;
        }
        int thLen = ((b[o + l4 + 12] & 0xff) >>> 4) * 4;
        int flags = b[o + l4 + 13] & 0xff;
        if (thLen < 20 || l4 + thLen >= n || (flags != TCP_ACK && flags != (TCP_ACK | TCP_PSH))) {
            mergeable = false; // also: no payload
            return;
        }
        this.thLen = thLen;
        payload = n - l4 - thLen;
        seq = u32(b, o + l4 + 4);
        psh = flags != TCP_ACK;
    }

    /** Sets thLen and payload of a UDP datagram that may merge (UDP GRO on, a payload, a checksum). */
    private void parseUdp(byte[] b, int o, int n, int l4) {
        if (!udpGro || l4 + 8 >= n || u16(b, o + l4 + 4) != n - l4 || u16(b, o + l4 + 6) == 0) {
            mergeable = false;
            return;
        }
        thLen = 8;
        payload = n - l4 - 8;
    }

    private static int flowHash(byte[] b, int o, int version, int l4, byte kind) {
        int addrOff = version == 4 ? 12 : 8;
        int addrEnd = addrOff + (version == 4 ? 8 : 32);
        int h = kind;
        for (int i = addrOff; i < addrEnd; i += 4) {
            h = h * 0x01000193 ^ u32(b, o + i);
        }
        h = h * 0x01000193 ^ u32(b, o + l4);
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        return h;
    }
}
