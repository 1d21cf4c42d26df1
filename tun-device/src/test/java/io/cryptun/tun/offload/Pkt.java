package io.cryptun.tun.offload;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** Builds IPv4/IPv6 TCP/UDP test packets with correct checksums (computed by {@link RefChecksum}). */
final class Pkt {

    static final int FIN = 0x01;
    static final int SYN = 0x02;
    static final int RST = 0x04;
    static final int PSH = 0x08;
    static final int ACK = 0x10;
    static final int URG = 0x20;
    static final int ECE = 0x40;
    static final int CWR = 0x80;

    /** Bytes left free before the packet in the arrays {@link #build()} returns. */
    static final int HEADROOM = VirtioNetHeader.SIZE;

    boolean v6;
    boolean udp;
    byte[] src;
    byte[] dst;
    int srcPort = 1;
    int dstPort = 1;
    int seq = 1;
    int ack = 1;
    int flags = ACK;
    int window = 3000;
    byte[] tcpOptions = new byte[0];
    byte[] payload = new byte[0];
    int id;
    int ttl = 64;
    int tos;
    /** IPv4 flags (3 bits: 2 = DF, 1 = MF). */
    int ipFlags;
    int fragOffset;
    byte[] ipOptions = new byte[0];
    int trafficClass;
    int flowLabel;
    int hopLimit = 64;
    int headroom = HEADROOM;
    /** Flip the transport checksum after computing it. */
    boolean badChecksum;
    /** Store 0 ("no checksum") as the UDP checksum. */
    boolean zeroChecksum;

    static Pkt tcp4(String src, String dst, int flags, int payloadLen, int seq) {
        Pkt p = new Pkt();
        p.src = addr(src);
        p.dst = addr(dst);
        p.flags = flags;
        p.seq = seq;
        p.payload = pattern(payloadLen, seq);
        return p;
    }

    static Pkt tcp6(String src, String dst, int flags, int payloadLen, int seq) {
        Pkt p = tcp4(src, dst, flags, payloadLen, seq);
        p.v6 = true;
        return p;
    }

    static Pkt udp4(String src, String dst, int payloadLen) {
        Pkt p = new Pkt();
        p.udp = true;
        p.src = addr(src);
        p.dst = addr(dst);
        p.payload = pattern(payloadLen, 0);
        return p;
    }

    static Pkt udp6(String src, String dst, int payloadLen) {
        Pkt p = udp4(src, dst, payloadLen);
        p.v6 = true;
        return p;
    }

    /** Payload bytes that depend on the position in the stream, so misordered data shows. */
    static byte[] pattern(int len, int seq) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            int x = seq + i;
            b[i] = (byte) (x ^ (x >>> 8) ^ (x >>> 16) * 7);
        }
        return b;
    }

    static byte[] addr(String s) {
        try {
            return InetAddress.getByName(s).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(s, e);
        }
    }

    Pkt copy() {
        Pkt c = new Pkt();
        c.v6 = v6;
        c.udp = udp;
        c.src = src.clone();
        c.dst = dst.clone();
        c.srcPort = srcPort;
        c.dstPort = dstPort;
        c.seq = seq;
        c.ack = ack;
        c.flags = flags;
        c.window = window;
        c.tcpOptions = tcpOptions.clone();
        c.payload = payload.clone();
        c.id = id;
        c.ttl = ttl;
        c.tos = tos;
        c.ipFlags = ipFlags;
        c.fragOffset = fragOffset;
        c.ipOptions = ipOptions.clone();
        c.trafficClass = trafficClass;
        c.flowLabel = flowLabel;
        c.hopLimit = hopLimit;
        c.headroom = headroom;
        c.badChecksum = badChecksum;
        c.zeroChecksum = zeroChecksum;
        return c;
    }

    /**
     * Segment {@code i} of {@code count} that TSO/USO makes of this packet: payload slice, sequence number and IPv4
     * ID advanced, FIN/PSH only on the last and CWR only on the first segment.
     */
    Pkt segment(int i, int count, int gsoSize) {
        Pkt s = copy();
        int from = i * gsoSize;
        int to = Math.min(payload.length, from + gsoSize);
        s.payload = java.util.Arrays.copyOfRange(payload, from, to);
        s.seq = seq + from;
        s.id = (id + i) & 0xffff;
        if (i != count - 1) {
            s.flags &= ~(FIN | PSH);
        }
        if (i != 0) {
            s.flags &= ~CWR;
        }
        return s;
    }

    Pkt ports(int srcPort, int dstPort) {
        this.srcPort = srcPort;
        this.dstPort = dstPort;
        return this;
    }

    int ipHeaderLength() {
        return v6 ? 40 : 20 + ipOptions.length;
    }

    int transportHeaderLength() {
        return udp ? 8 : 20 + tcpOptions.length;
    }

    int length() {
        return ipHeaderLength() + transportHeaderLength() + payload.length;
    }

    /** The packet at offset {@link #headroom} of an array that ends with it. */
    byte[] build() {
        byte[] b = new byte[headroom + length()];
        write(b, headroom);
        return b;
    }

    /** The packet alone. */
    byte[] bytes() {
        byte[] b = new byte[length()];
        write(b, 0);
        return b;
    }

    void write(byte[] b, int o) {
        int len = length();
        int iph = ipHeaderLength();
        if (v6) {
            int first = (6 << 28) | ((trafficClass & 0xff) << 20) | (flowLabel & 0xfffff);
            put32(b, o, first);
            put16(b, o + 4, len - 40);
            b[o + 6] = (byte) (udp ? 17 : 6);
            b[o + 7] = (byte) hopLimit;
            System.arraycopy(src, 0, b, o + 8, 16);
            System.arraycopy(dst, 0, b, o + 24, 16);
        } else {
            if (ipOptions.length % 4 != 0) {
                throw new IllegalStateException("IPv4 options must fill 32-bit words");
            }
            b[o] = (byte) (0x40 | (iph / 4));
            b[o + 1] = (byte) tos;
            put16(b, o + 2, len);
            put16(b, o + 4, id);
            put16(b, o + 6, (ipFlags << 13) | fragOffset);
            b[o + 8] = (byte) ttl;
            b[o + 9] = (byte) (udp ? 17 : 6);
            System.arraycopy(src, 0, b, o + 12, 4);
            System.arraycopy(dst, 0, b, o + 16, 4);
            System.arraycopy(ipOptions, 0, b, o + 20, ipOptions.length);
            RefChecksum.setIpv4Header(b, o);
        }
        int t = o + iph;
        put16(b, t, srcPort);
        put16(b, t + 2, dstPort);
        if (udp) {
            put16(b, t + 4, len - iph);
        } else {
            if (tcpOptions.length % 4 != 0) {
                throw new IllegalStateException("TCP options must fill 32-bit words");
            }
            put32(b, t + 4, seq);
            put32(b, t + 8, ack);
            b[t + 12] = (byte) (((20 + tcpOptions.length) / 4) << 4);
            b[t + 13] = (byte) flags;
            put16(b, t + 14, window);
            System.arraycopy(tcpOptions, 0, b, t + 20, tcpOptions.length);
        }
        System.arraycopy(payload, 0, b, t + transportHeaderLength(), payload.length);
        RefChecksum.setTransport(b, o, len);
        int csumAt = t + (udp ? 6 : 16);
        if (badChecksum) {
            b[csumAt] ^= (byte) 0xff;
            b[csumAt + 1] ^= (byte) 0xff;
        }
        if (zeroChecksum) {
            b[csumAt] = 0;
            b[csumAt + 1] = 0;
        }
    }

    static void put16(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 8);
        b[at + 1] = (byte) v;
    }

    static void put32(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    static int get16(byte[] b, int at) {
        return ((b[at] & 0xff) << 8) | (b[at + 1] & 0xff);
    }

    static int get32(byte[] b, int at) {
        return (get16(b, at) << 16) | get16(b, at + 2);
    }
}
