package io.cryptun.tun.offload;

import static io.cryptun.tun.offload.BigEndian.putU16;
import static io.cryptun.tun.offload.BigEndian.putU32;
import static io.cryptun.tun.offload.BigEndian.u16;
import static io.cryptun.tun.offload.BigEndian.u32;
import static io.cryptun.tun.offload.InternetChecksum.PROTO_TCP;
import static io.cryptun.tun.offload.InternetChecksum.PROTO_UDP;

import java.util.Objects;

/**
 * Turns one read from a TUN device with {@code IFF_VNET_HDR} and {@code TUNSETOFFLOAD} into the IP packets it stands
 * for (the reader's half of TSO/USO, as wireguard-go's {@code handleVirtioRead}/{@code gsoSplit}):
 * <ul>
 *   <li>{@code GSO_NONE}: one packet, copied as it is; with {@code NEEDS_CSUM} its transport checksum, which the
 *       kernel left as the pseudo-header partial sum, is completed.</li>
 *   <li>{@code GSO_TCPV4}/{@code GSO_TCPV6} (optionally with {@code GSO_ECN}) and {@code GSO_UDP_L4}: a super-packet
 *       of up to 64 KiB cut into segments of {@code gso_size} payload bytes (the last may be shorter). Every segment
 *       gets the IP and transport headers with its own IPv4 total length (ID incremented per segment, header
 *       checksum recomputed) or IPv6 payload length, TCP sequence number (FIN and PSH only on the last segment, CWR
 *       only on the first) or UDP length, and a full transport checksum over the pseudo-header.</li>
 * </ul>
 * Header lengths come from the packet itself, never from {@code hdr_len} (which the kernel may set to the whole
 * first packet on the forwarding path); {@code csum_start}/{@code csum_offset} must agree with them. IPv4 options are
 * supported, IPv6 extension headers are not ({@link GsoSplitException.Reason#UNSUPPORTED}).
 *
 * <p>Nothing is allocated per call and the input is not modified. Segment {@code i} goes to
 * {@code out[first + i][outOff ...]}, its length to {@code outLens[first + i]}; the bytes before {@code outOff} are
 * left alone
 * (headroom for the WireGuard header). Every check happens before the first byte is written, so a rejected read
 * leaves the output untouched. Instances hold no state and may be shared between threads.
 */
public final class GsoSplitter {

    private static final int TCP_FIN = 0x01;
    private static final int TCP_PSH = 0x08;
    private static final int TCP_CWR = 0x80;
    private static final int TCP_CSUM_OFFSET = 16;
    private static final int UDP_CSUM_OFFSET = 6;

    /**
     * How many packets {@link #split} will make of this read, after the same checks (so it throws what split would
     * throw, except for the output buffers). Lets a caller that gathers several reads into one batch write out the
     * batch first when the next read would not fit, and handle a read with more segments than its batch holds: a
     * connection with a small MSS makes 64 KiB super-packets of up to ~1400 segments.
     */
    public int packetCount(byte[] in, int inOff, int inLen) throws GsoSplitException {
        return run(in, inOff, inLen, null, 0, null, 0);
    }

    /** {@link #split(byte[], int, int, byte[][], int, int[], int)} into {@code out[0...]}. */
    public int split(byte[] in, int inOff, int inLen, byte[][] out, int outOff, int[] outLens)
            throws GsoSplitException {
        return split(in, inOff, inLen, out, outOff, outLens, 0);
    }

    /**
     * Splits one read.
     *
     * @param in      the bytes read from the TUN device: the virtio-net header, then the packet
     * @param inOff   where the read starts in {@code in}
     * @param inLen   the number of bytes read
     * @param out     buffers for the resulting packets, one packet each; those used must be non-null
     * @param outOff  where each packet starts in its buffer
     * @param outLens receives each packet's length at the packet's index; at least as long as {@code out}
     * @param first   the first buffer to use: packets go to {@code out[first]}, {@code out[first + 1]}, ... (so that
     *                several reads can fill one batch)
     * @return the number of packets written (at least 1)
     * @throws GsoSplitException        if the read is malformed, unsupported, or does not fit the buffers
     *                                  {@code out[first ... out.length)}
     * @throws IllegalArgumentException if {@code first} is not an index of {@code out}, {@code outLens} is shorter
     *                                  than {@code out}, or {@code outOff} is negative
     * @throws IndexOutOfBoundsException if {@code inOff}/{@code inLen} lie outside {@code in}
     */
    public int split(byte[] in, int inOff, int inLen, byte[][] out, int outOff, int[] outLens, int first)
            throws GsoSplitException {
        if (first < 0 || first >= out.length || outLens.length < out.length) {
            throw new IllegalArgumentException("need a first buffer index within the " + out.length
                    + " buffers (got " + first + ") and as many lengths as buffers (got " + outLens.length + ")");
        }
        if (outOff < 0) {
            throw new IllegalArgumentException("negative output offset " + outOff);
        }
        return run(in, inOff, inLen, out, outOff, outLens, first);
    }

    /** Splits, or only counts when {@code out} is null. */
    private static int run(byte[] in, int inOff, int inLen, byte[][] out, int outOff, int[] outLens, int first)
            throws GsoSplitException {
        Objects.checkFromIndexSize(inOff, inLen, in.length);
        if (inLen < VirtioNetHeader.SIZE) {
            throw error(GsoSplitException.Reason.TRUNCATED, "a read of " + inLen
                    + " bytes is shorter than the 10-byte virtio-net header");
        }
        int len = inLen - VirtioNetHeader.SIZE;
        if (len == 0) {
            throw error(GsoSplitException.Reason.TRUNCATED, "no packet after the virtio-net header");
        }
        int flags = VirtioNetHeader.flags(in, inOff);
        int gsoType = VirtioNetHeader.gsoType(in, inOff);
        int csumStart = VirtioNetHeader.csumStart(in, inOff);
        int csumOffset = VirtioNetHeader.csumOffset(in, inOff);
        boolean needsCsum = (flags & VirtioNetHeader.FLAG_NEEDS_CSUM) != 0;
        int p = inOff + VirtioNetHeader.SIZE;
        if (gsoType == VirtioNetHeader.GSO_NONE) {
            return single(in, p, len, needsCsum, csumStart, csumOffset, out, outOff, outLens, first);
        }
        return segment(in, p, len, gsoType, VirtioNetHeader.gsoSize(in, inOff), needsCsum, csumStart, csumOffset,
                out, outOff, outLens, first);
    }

    private static int single(byte[] in, int p, int len, boolean needsCsum, int csumStart, int csumOffset,
            byte[][] out, int outOff, int[] outLens, int first) throws GsoSplitException {
        if (needsCsum) {
            if (csumStart + csumOffset + 2 > len) {
                throw error(GsoSplitException.Reason.MALFORMED, "checksum at csum_start " + csumStart
                        + " + csum_offset " + csumOffset + " lies outside the " + len + "-byte packet");
            }
            if ((csumOffset & 1) != 0) {
                throw error(GsoSplitException.Reason.MALFORMED, "odd csum_offset " + csumOffset);
            }
        }
        if (out == null) {
            return 1;
        }
        byte[] o = out[first];
        if (o.length - outOff < len) {
            throw error(GsoSplitException.Reason.BUFFER_TOO_SMALL, "a " + len + "-byte packet does not fit in the "
                    + Math.max(0, o.length - outOff) + " bytes of the output buffer");
        }
        System.arraycopy(in, p, o, outOff, len);
        if (needsCsum) {
            // The field holds the pseudo-header sum; summing the area with it in place gives the full checksum.
            int at = outOff + csumStart + csumOffset;
            int c = InternetChecksum.finish(InternetChecksum.add(0, o, outOff + csumStart, len - csumStart));
            if (c == 0 && isUdpChecksumField(o, outOff, len, csumStart, csumOffset)) {
                c = 0xffff; // RFC 768: a computed 0 is sent as all ones, 0 means "no checksum"
            }
            putU16(o, at, c);
        }
        outLens[first] = len;
        return 1;
    }

    private static boolean isUdpChecksumField(byte[] b, int p, int len, int csumStart, int csumOffset) {
        if (csumOffset != UDP_CSUM_OFFSET) {
            return false;
        }
        int version = (b[p] & 0xff) >>> 4;
        if (version == 4 && len >= 20) {
            return (b[p + 9] & 0xff) == PROTO_UDP && csumStart == (b[p] & 0xf) * 4;
        }
        return version == 6 && len >= 40 && (b[p + 6] & 0xff) == PROTO_UDP && csumStart == 40;
    }

    private static int segment(byte[] in, int p, int len, int gsoType, int gsoSize, boolean needsCsum,
            int csumStart, int csumOffset, byte[][] out, int outOff, int[] outLens, int first)
            throws GsoSplitException {
        int type = segmentationType(gsoType);
        boolean udp = type == VirtioNetHeader.GSO_UDP_L4;
        int version = (in[p] & 0xff) >>> 4;
        int iph = ipHeaderLength(in, p, len, version);
        int proto = udp ? PROTO_UDP : PROTO_TCP;
        checkIpFitsType(in, p, version, type, proto);
        int thLen = udp ? udpHeaderLength(len, iph) : tcpHeaderLength(in, p + iph, len, iph);
        int csumField = udp ? UDP_CSUM_OFFSET : TCP_CSUM_OFFSET;
        if (needsCsum && (csumStart != iph || csumOffset != csumField)) {
            throw error(GsoSplitException.Reason.MALFORMED, "csum_start " + csumStart + "/csum_offset " + csumOffset
                    + " do not point at the " + (udp ? "UDP" : "TCP") + " checksum (" + iph + "/" + csumField + ")");
        }
        if (gsoSize == 0) {
            throw error(GsoSplitException.Reason.MALFORMED, "gso_size 0 in a GSO packet");
        }

        int hdrLen = iph + thLen;
        int payload = len - hdrLen;
        int segments = payload == 0 ? 1 : (payload + gsoSize - 1) / gsoSize;
        if (out == null) {
            return segments;
        }
        checkOutputFits(len, hdrLen, gsoSize, segments, out, outOff, first);

        int addrLen = version == 4 ? 4 : 16;
        long addrSum = InternetChecksum.add(0, in, p + (version == 4 ? 12 : 8), 2 * addrLen) + proto;
        int seq0 = udp ? 0 : u32(in, p + iph + 4);
        int tcpFlags = udp ? 0 : in[p + iph + 13] & 0xff;
        int id0 = version == 4 ? u16(in, p + 4) : 0;
        for (int i = 0; i < segments; i++) {
            byte[] o = out[first + i];
            int q = outOff;
            int dataAt = hdrLen + i * gsoSize;
            int segLen = Math.min(gsoSize, len - dataAt);
            int total = hdrLen + segLen;
            System.arraycopy(in, p, o, q, hdrLen);
            System.arraycopy(in, p + dataAt, o, q + hdrLen, segLen);
            if (version == 4) {
                putIpv4LengthAndId(o, q, iph, total, (id0 + i) & 0xffff);
            } else {
                putU16(o, q + 4, total - iph);
            }
            int t = q + iph;
            if (udp) {
                putU16(o, t + 4, thLen + segLen);
            } else {
                putU32(o, t + 4, seq0 + i * gsoSize);
                o[t + 13] = (byte) segmentTcpFlags(tcpFlags, i, segments);
            }
            putTransportChecksum(o, t, csumField, addrSum, total - iph, udp);
            outLens[first + i] = total;
        }
        return segments;
    }

    /** The GSO type without the ECN flag, if it is one this splitter cuts. */
    private static int segmentationType(int gsoType) throws GsoSplitException {
        int type = gsoType & ~VirtioNetHeader.GSO_ECN;
        if (type != VirtioNetHeader.GSO_TCPV4 && type != VirtioNetHeader.GSO_TCPV6
                && type != VirtioNetHeader.GSO_UDP_L4) {
            if (type == VirtioNetHeader.GSO_NONE) {
                throw error(GsoSplitException.Reason.MALFORMED, "gso_type has the ECN flag but no GSO type");
            }
            throw error(GsoSplitException.Reason.UNSUPPORTED, "unsupported virtio-net GSO type " + type);
        }
        if (type == VirtioNetHeader.GSO_UDP_L4 && gsoType != type) {
            throw error(GsoSplitException.Reason.MALFORMED, "the ECN flag only applies to TCP GSO types");
        }
        return type;
    }

    /** The IP header's length, once the header is whole and agrees with the {@code len} bytes read. */
    private static int ipHeaderLength(byte[] in, int p, int len, int version) throws GsoSplitException {
        if (version == 4) {
            if (len < 20) {
                throw error(GsoSplitException.Reason.TRUNCATED, "a " + len + "-byte packet is shorter than an IPv4 header");
            }
            int iph = (in[p] & 0xf) * 4;
            if (iph < 20) {
                throw error(GsoSplitException.Reason.MALFORMED, "IPv4 header length " + iph + " is below 20");
            }
            if (iph > len) {
                throw error(GsoSplitException.Reason.TRUNCATED, "IPv4 header of " + iph + " bytes in a " + len
                        + "-byte packet");
            }
            if (u16(in, p + 2) != len) {
                throw error(GsoSplitException.Reason.MALFORMED, "IPv4 total length " + u16(in, p + 2) + " but "
                        + len + " bytes were read");
            }
            if ((u16(in, p + 6) & 0x3fff) != 0) {
                throw error(GsoSplitException.Reason.MALFORMED, "an IPv4 fragment cannot be a GSO packet");
            }
            return iph;
        }
        if (version == 6) {
            if (len < 40) {
                throw error(GsoSplitException.Reason.TRUNCATED, "a " + len + "-byte packet is shorter than an IPv6 header");
            }
            if (u16(in, p + 4) != len - 40) {
                throw error(GsoSplitException.Reason.MALFORMED, "IPv6 payload length " + u16(in, p + 4) + " but "
                        + (len - 40) + " bytes follow the header");
            }
            return 40;
        }
        throw error(GsoSplitException.Reason.MALFORMED, "IP version " + version + " in a GSO packet");
    }

    /** The IP version and the protocol after the IP header must be those of the GSO type. */
    private static void checkIpFitsType(byte[] in, int p, int version, int type, int wantProto)
            throws GsoSplitException {
        if ((type == VirtioNetHeader.GSO_TCPV4 && version != 4) || (type == VirtioNetHeader.GSO_TCPV6 && version != 6)) {
            throw error(GsoSplitException.Reason.MALFORMED, "GSO type " + typeName(type) + " on an IPv" + version
                    + " packet");
        }
        int proto = version == 4 ? in[p + 9] & 0xff : in[p + 6] & 0xff;
        if (proto != wantProto) {
            if (version == 6 && isIpv6ExtensionHeader(proto)) {
                throw error(GsoSplitException.Reason.UNSUPPORTED, "IPv6 extension header " + proto
                        + " in a GSO packet");
            }
            throw error(GsoSplitException.Reason.MALFORMED, "GSO type " + typeName(type) + " on IP protocol " + proto);
        }
    }

    private static int udpHeaderLength(int len, int iph) throws GsoSplitException {
        if (iph + 8 > len) {
            throw error(GsoSplitException.Reason.TRUNCATED, "no room for a UDP header in a " + len + "-byte packet");
        }
        return 8;
    }

    /** The TCP header's length from its data offset ({@code l4} is where it starts), once it fits the packet. */
    private static int tcpHeaderLength(byte[] in, int l4, int len, int iph) throws GsoSplitException {
        if (iph + 20 > len) {
            throw error(GsoSplitException.Reason.TRUNCATED, "no room for a TCP header in a " + len + "-byte packet");
        }
        int thLen = ((in[l4 + 12] & 0xff) >>> 4) * 4;
        if (thLen < 20) {
            throw error(GsoSplitException.Reason.MALFORMED, "TCP data offset " + thLen + " is below 20");
        }
        if (iph + thLen > len) {
            throw error(GsoSplitException.Reason.TRUNCATED, "TCP header of " + thLen + " bytes does not fit in a "
                    + len + "-byte packet");
        }
        return thLen;
    }

    /** Every segment has a buffer from {@code out[first]} on, and every buffer room for its segment. */
    private static void checkOutputFits(int len, int hdrLen, int gsoSize, int segments, byte[][] out, int outOff,
            int first) throws GsoSplitException {
        if (segments > out.length - first) {
            throw error(GsoSplitException.Reason.TOO_MANY_SEGMENTS, "a " + len + "-byte packet with gso_size "
                    + gsoSize + " splits into " + segments + " segments but only " + (out.length - first)
                    + " buffers were given");
        }
        int payload = len - hdrLen;
        for (int i = 0; i < segments; i++) {
            int need = hdrLen + Math.min(gsoSize, payload - i * gsoSize);
            if (out[first + i].length - outOff < need) {
                throw error(GsoSplitException.Reason.BUFFER_TOO_SMALL, "segment " + i + " needs " + need
                        + " bytes, output buffer " + (first + i) + " has " + Math.max(0, out[first + i].length - outOff));
            }
        }
    }

    private static void putIpv4LengthAndId(byte[] o, int q, int iph, int total, int id) {
        putU16(o, q + 2, total);
        putU16(o, q + 4, id);
        InternetChecksum.setIpv4HeaderChecksum(o, q, iph);
    }

    /** FIN and PSH stay on the last segment only, CWR on the first only. */
    private static int segmentTcpFlags(int tcpFlags, int i, int segments) {
        int f = tcpFlags;
        if (i != segments - 1) {
            f &= ~(TCP_FIN | TCP_PSH);
        }
        if (i != 0) {
            f &= ~TCP_CWR;
        }
        return f;
    }

    /** The full transport checksum, pseudo-header ({@code addrSum}: addresses and protocol) included. */
    private static void putTransportChecksum(byte[] o, int t, int csumField, long addrSum, int transportLen,
            boolean udp) {
        o[t + csumField] = 0;
        o[t + csumField + 1] = 0;
        int c = InternetChecksum.finish(InternetChecksum.add(addrSum + transportLen, o, t, transportLen));
        if (udp && c == 0) {
            c = 0xffff; // RFC 768: a computed 0 is sent as all ones, 0 means "no checksum"
        }
        putU16(o, t + csumField, c);
    }

    private static boolean isIpv6ExtensionHeader(int nextHeader) {
        return nextHeader == 0 || nextHeader == 43 || nextHeader == 44 || nextHeader == 60 || nextHeader == 51
                || nextHeader == 50 || nextHeader == 135 || nextHeader == 139 || nextHeader == 140;
    }

    private static String typeName(int type) {
        switch (type) {
            case VirtioNetHeader.GSO_TCPV4:
                return "TCPV4";
            case VirtioNetHeader.GSO_TCPV6:
                return "TCPV6";
            case VirtioNetHeader.GSO_UDP_L4:
                return "UDP_L4";
            default:
                return String.valueOf(type);
        }
    }

    private static GsoSplitException error(GsoSplitException.Reason reason, String message) {
        return new GsoSplitException(reason, message);
    }
}
