package io.cryptun.tun.offload;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The ones' complement sum of RFC 1071 (IPv4 header, TCP and UDP checksums). Sums are kept unfolded in a long so
 * that partial sums can be chained; {@link #fold} reduces them to 16 bits.
 */
final class InternetChecksum {

    /**
     * Words are read in the machine's own byte order: RFC 1071 2(B), the sum of byte-swapped 16-bit words is the
     * byte-swapped sum, so one swap of the folded result replaces a swap of every word read (which C1-compiled
     * code pays as a call per 8 bytes: 5% of a daemon's CPU in a TCP stream, measured).
     */
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final boolean LITTLE = ORDER == ByteOrder.LITTLE_ENDIAN;
    private static final VarHandle U64 = MethodHandles.byteArrayViewVarHandle(long[].class, ORDER);
    private static final VarHandle U32 = MethodHandles.byteArrayViewVarHandle(int[].class, ORDER);

    static final int PROTO_TCP = 6;
    static final int PROTO_UDP = 17;

    private InternetChecksum() {
    }

    /**
     * Adds {@code len} bytes to {@code sum}. The bytes must start at an even position of the checksummed area (all
     * callers sum whole headers or segments from their start); an odd final byte is padded with a zero.
     */
    static long add(long sum, byte[] b, int off, int len) {
        int i = off;
        int end = off + len;
        long words = 0;
        // 32-bit words are summed because 2^16 = 1 modulo 0xffff: folding their sum gives the 16-bit word sum.
        // Each step adds less than 2^33, so 64 KiB of data cannot overflow the long.
        for (; i + 8 <= end; i += 8) {
            long v = (long) U64.get(b, i);
            words += (v >>> 32) + (v & 0xffffffffL);
        }
        if (i + 4 <= end) {
            words += ((int) U32.get(b, i)) & 0xffffffffL;
            i += 4;
        }
        if (i + 2 <= end) {
            words += LITTLE ? (b[i] & 0xff) | ((b[i + 1] & 0xff) << 8) : ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
            i += 2;
        }
        if (i < end) {
            // the first byte of a 16-bit word padded with zero: the word's high byte in network order
            words += LITTLE ? b[i] & 0xff : (b[i] & 0xff) << 8;
        }
        if (!LITTLE) {
            return sum + words;
        }
        int folded = fold(words);
        return sum + (((folded & 0xff) << 8) | (folded >>> 8));
    }

    /** Reduces an unfolded sum to 16 bits (end-around carry). */
    static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) sum;
    }

    /** The checksum to store: the complement of the folded sum. */
    static int finish(long sum) {
        return ~fold(sum) & 0xffff;
    }

    /**
     * Unfolded sum of the TCP/UDP pseudo-header: source and destination address (both {@code addrLen} bytes,
     * adjacent at {@code addrOff} as in IPv4 and IPv6 headers), protocol and transport length.
     */
    static long pseudoHeader(byte[] pkt, int addrOff, int addrLen, int protocol, int transportLen) {
        return add(0, pkt, addrOff, 2 * addrLen) + protocol + transportLen;
    }

    /** Recomputes the IPv4 header checksum of the header at {@code off} (length {@code ihl} bytes) in place. */
    static void setIpv4HeaderChecksum(byte[] b, int off, int ihl) {
        b[off + 10] = 0;
        b[off + 11] = 0;
        BigEndian.putU16(b, off + 10, finish(add(0, b, off, ihl)));
    }

    /** Whether the IPv4 header at {@code off} carries a correct checksum. */
    static boolean ipv4HeaderValid(byte[] b, int off, int ihl) {
        return fold(add(0, b, off, ihl)) == 0xffff;
    }
}
