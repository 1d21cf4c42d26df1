package io.cryptun.tun.offload;

/** Reads as a vnet-header TUN device hands them over: virtio-net header, then the packet. */
final class KernelReads {

    private KernelReads() {
    }

    /**
     * A TSO/USO super-packet as the kernel passes it up: NEEDS_CSUM, GSO type by IP version and protocol, and the
     * transport checksum field holding only the pseudo-header sum.
     */
    static byte[] gso(Pkt p, int gsoSize) {
        byte[] pkt = p.bytes();
        int iph = p.ipHeaderLength();
        int type = p.udp ? VirtioNetHeader.GSO_UDP_L4 : p.v6 ? VirtioNetHeader.GSO_TCPV6 : VirtioNetHeader.GSO_TCPV4;
        int csumOffset = p.udp ? 6 : 16;
        byte[] read = withHeader(pkt, new VirtioNetHeader()
                .flags(VirtioNetHeader.FLAG_NEEDS_CSUM)
                .gsoType(type)
                .hdrLen(iph + p.transportHeaderLength())
                .gsoSize(gsoSize)
                .csumStart(iph)
                .csumOffset(csumOffset));
        setPartialChecksum(read, VirtioNetHeader.SIZE, pkt.length, iph, csumOffset);
        return read;
    }

    /** A single packet whose transport checksum the kernel left partial (GSO_NONE + NEEDS_CSUM). */
    static byte[] partial(Pkt p) {
        byte[] pkt = p.bytes();
        int iph = p.ipHeaderLength();
        int csumOffset = p.udp ? 6 : 16;
        byte[] read = withHeader(pkt, new VirtioNetHeader()
                .flags(VirtioNetHeader.FLAG_NEEDS_CSUM)
                .hdrLen(iph + p.transportHeaderLength())
                .csumStart(iph)
                .csumOffset(csumOffset));
        setPartialChecksum(read, VirtioNetHeader.SIZE, pkt.length, iph, csumOffset);
        return read;
    }

    static byte[] withHeader(byte[] pkt, VirtioNetHeader header) {
        byte[] read = new byte[VirtioNetHeader.SIZE + pkt.length];
        header.writeTo(read, 0);
        System.arraycopy(pkt, 0, read, VirtioNetHeader.SIZE, pkt.length);
        return read;
    }

    static void setPartialChecksum(byte[] b, int off, int len, int iph, int csumOffset) {
        int proto = RefChecksum.protocol(b, off);
        int partial = RefChecksum.pseudoHeaderSum(b, off, proto, len - iph);
        Pkt.put16(b, off + iph + csumOffset, partial);
    }
}
