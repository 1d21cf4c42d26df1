package io.cryptun.tun;

import java.net.InetAddress;
import java.nio.ByteBuffer;

/** Hand-built ICMP/ICMPv6 echo packets for the TUN tests (internet checksums computed here). */
final class IcmpPackets {

    static final int ICMP = 1;
    static final int ICMPV6 = 58;

    private IcmpPackets() {
    }

    /** RFC 1071 ones'-complement sum over {@code len} bytes at {@code off}, added to {@code initial}. */
    static long sum(ByteBuffer b, int off, int len, long initial) {
        long sum = initial;
        int i = 0;
        for (; i + 1 < len; i += 2) {
            sum += ((b.get(off + i) & 0xff) << 8) | (b.get(off + i + 1) & 0xff);
        }
        if (i < len) {
            sum += (b.get(off + i) & 0xff) << 8;
        }
        return sum;
    }

    static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) (~sum & 0xffff);
    }

    static int u16(ByteBuffer b, int at) {
        return ((b.get(at) & 0xff) << 8) | (b.get(at + 1) & 0xff);
    }

    static void putU16(ByteBuffer b, int at, int v) {
        b.put(at, (byte) (v >>> 8));
        b.put(at + 1, (byte) v);
    }

    static boolean isIpv4EchoRequest(ByteBuffer p, int len) {
        return len >= 28 && (p.get(0) & 0xf0) == 0x40 && p.get(9) == ICMP && p.get((p.get(0) & 0xf) * 4) == 8;
    }

    static boolean isIpv6EchoRequest(ByteBuffer p, int len) {
        return len >= 48 && (p.get(0) & 0xf0) == 0x60 && p.get(6) == ICMPV6 && (p.get(40) & 0xff) == 128;
    }

    /**
     * Turns an echo request (IPv4 or IPv6, packet at index 0) into the matching echo reply in place: addresses
     * swapped, type changed, checksums recomputed. Returns false (untouched) for anything else.
     */
    static boolean toEchoReply(ByteBuffer p, int len) {
        if (isIpv4EchoRequest(p, len)) {
            int ihl = (p.get(0) & 0xf) * 4;
            swap(p, 12, 16, 4);
            p.put(8, (byte) 64);
            putU16(p, 10, 0);
            putU16(p, 10, fold(sum(p, 0, ihl, 0)));
            p.put(ihl, (byte) 0);
            putU16(p, ihl + 2, 0);
            putU16(p, ihl + 2, fold(sum(p, ihl, len - ihl, 0)));
            return true;
        }
        if (isIpv6EchoRequest(p, len)) {
            swap(p, 8, 24, 16);
            p.put(7, (byte) 64);
            p.put(40, (byte) 129);
            putU16(p, 42, 0);
            putU16(p, 42, icmpv6Checksum(p, len));
            return true;
        }
        return false;
    }

    static int icmpv6Checksum(ByteBuffer p, int len) {
        int payload = len - 40;
        long s = sum(p, 8, 32, 0); // source and destination addresses
        s += payload;
        s += ICMPV6;
        return fold(sum(p, 40, payload, s));
    }

    /** An IPv4 ICMP echo request from {@code src} to {@code dst}, written at index 0; returns its length. */
    static int ipv4EchoRequest(ByteBuffer p, InetAddress src, InetAddress dst, int id, int seq, int dataLen) {
        int len = 20 + 8 + dataLen;
        for (int i = 0; i < len; i++) {
            p.put(i, (byte) 0);
        }
        p.put(0, (byte) 0x45);
        putU16(p, 2, len);
        putU16(p, 4, seq);
        p.put(8, (byte) 64);
        p.put(9, (byte) ICMP);
        p.put(12, src.getAddress());
        p.put(16, dst.getAddress());
        putU16(p, 10, fold(sum(p, 0, 20, 0)));
        p.put(20, (byte) 8);
        putU16(p, 24, id);
        putU16(p, 26, seq);
        for (int i = 0; i < dataLen; i++) {
            p.put(28 + i, (byte) i);
        }
        putU16(p, 22, fold(sum(p, 20, 8 + dataLen, 0)));
        return len;
    }

    /** Verifies the IPv4 header checksum and ICMP checksum of a packet at index 0. */
    static boolean ipv4ChecksumsValid(ByteBuffer p, int len) {
        int ihl = (p.get(0) & 0xf) * 4;
        return fold(sum(p, 0, ihl, 0)) == 0 && fold(sum(p, ihl, len - ihl, 0)) == 0;
    }

    private static void swap(ByteBuffer p, int a, int b, int n) {
        for (int i = 0; i < n; i++) {
            byte t = p.get(a + i);
            p.put(a + i, p.get(b + i));
            p.put(b + i, t);
        }
    }
}
