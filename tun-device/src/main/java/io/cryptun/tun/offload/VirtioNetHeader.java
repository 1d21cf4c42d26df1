package io.cryptun.tun.offload;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * The 10-byte {@code struct virtio_net_hdr} that precedes every packet read from or written to a TUN device opened
 * with {@code IFF_VNET_HDR}:
 * <pre>
 *   u8 flags; u8 gso_type; u16 hdr_len; u16 gso_size; u16 csum_start; u16 csum_offset;
 * </pre>
 * The 16-bit fields are in the byte order of the host (the TUN driver uses legacy virtio, which is native-endian
 * unless {@code TUNSETVNETLE/BE} says otherwise): little-endian on x86 and arm64.
 *
 * <p>An instance is a mutable holder meant to be reused (no allocation per packet); the static accessors read single
 * fields straight from a buffer. Not thread-safe.
 */
public final class VirtioNetHeader {

    /** Size of {@code struct virtio_net_hdr}. */
    public static final int SIZE = 10;

    /** {@code VIRTIO_NET_HDR_F_NEEDS_CSUM}: the checksum at csum_start + csum_offset holds only a partial sum. */
    public static final int FLAG_NEEDS_CSUM = 1;
    /** {@code VIRTIO_NET_HDR_F_DATA_VALID}: the checksum was already verified. */
    public static final int FLAG_DATA_VALID = 2;

    public static final int GSO_NONE = 0;
    public static final int GSO_TCPV4 = 1;
    /** UDP fragmentation offload (UFO); not produced by current kernels and not supported here. */
    public static final int GSO_UDP = 3;
    public static final int GSO_TCPV6 = 4;
    /** UDP segmentation offload (USO), kernel 6.2 and later. */
    public static final int GSO_UDP_L4 = 5;
    /** Flag bit in gso_type: the TCP packet has ECN (CWR) set; needs {@code TUN_F_TSO_ECN}. */
    public static final int GSO_ECN = 0x80;

    private static final VarHandle U16 =
            MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.nativeOrder());

    private int flags;
    private int gsoType;
    private int hdrLen;
    private int gsoSize;
    private int csumStart;
    private int csumOffset;

    /** Reads the header at {@code buf[off]}; throws IndexOutOfBoundsException if fewer than 10 bytes are there. */
    public VirtioNetHeader readFrom(byte[] buf, int off) {
        Objects.checkFromIndexSize(off, SIZE, buf.length);
        flags = buf[off] & 0xff;
        gsoType = buf[off + 1] & 0xff;
        hdrLen = u16(buf, off + 2);
        gsoSize = u16(buf, off + 4);
        csumStart = u16(buf, off + 6);
        csumOffset = u16(buf, off + 8);
        return this;
    }

    /** Writes the header at {@code buf[off]}; throws IndexOutOfBoundsException if fewer than 10 bytes are there. */
    public void writeTo(byte[] buf, int off) {
        Objects.checkFromIndexSize(off, SIZE, buf.length);
        buf[off] = (byte) flags;
        buf[off + 1] = (byte) gsoType;
        U16.set(buf, off + 2, (short) hdrLen);
        U16.set(buf, off + 4, (short) gsoSize);
        U16.set(buf, off + 6, (short) csumStart);
        U16.set(buf, off + 8, (short) csumOffset);
    }

    /** Writes an all-zero header (no offload: the packet is complete as it is) at {@code buf[off]}. */
    public static void writeNone(byte[] buf, int off) {
        Objects.checkFromIndexSize(off, SIZE, buf.length);
        for (int i = 0; i < SIZE; i++) {
            buf[off + i] = 0;
        }
    }

    /** Sets every field to zero (GSO_NONE, no flags). */
    public VirtioNetHeader clear() {
        flags = 0;
        gsoType = 0;
        hdrLen = 0;
        gsoSize = 0;
        csumStart = 0;
        csumOffset = 0;
        return this;
    }

    public static int flags(byte[] buf, int off) {
        return buf[off] & 0xff;
    }

    public static int gsoType(byte[] buf, int off) {
        return buf[off + 1] & 0xff;
    }

    public static int hdrLen(byte[] buf, int off) {
        return u16(buf, off + 2);
    }

    public static int gsoSize(byte[] buf, int off) {
        return u16(buf, off + 4);
    }

    public static int csumStart(byte[] buf, int off) {
        return u16(buf, off + 6);
    }

    public static int csumOffset(byte[] buf, int off) {
        return u16(buf, off + 8);
    }

    private static int u16(byte[] buf, int at) {
        return ((short) U16.get(buf, at)) & 0xffff;
    }

    public int flags() {
        return flags;
    }

    public VirtioNetHeader flags(int value) {
        flags = checkU8(value, "flags");
        return this;
    }

    public int gsoType() {
        return gsoType;
    }

    public VirtioNetHeader gsoType(int value) {
        gsoType = checkU8(value, "gso_type");
        return this;
    }

    public int hdrLen() {
        return hdrLen;
    }

    public VirtioNetHeader hdrLen(int value) {
        hdrLen = checkU16(value, "hdr_len");
        return this;
    }

    public int gsoSize() {
        return gsoSize;
    }

    public VirtioNetHeader gsoSize(int value) {
        gsoSize = checkU16(value, "gso_size");
        return this;
    }

    public int csumStart() {
        return csumStart;
    }

    public VirtioNetHeader csumStart(int value) {
        csumStart = checkU16(value, "csum_start");
        return this;
    }

    public int csumOffset() {
        return csumOffset;
    }

    public VirtioNetHeader csumOffset(int value) {
        csumOffset = checkU16(value, "csum_offset");
        return this;
    }

    private static int checkU8(int value, String field) {
        if ((value & ~0xff) != 0) {
            throw new IllegalArgumentException(field + " must fit in 8 bits: " + value);
        }
        return value;
    }

    private static int checkU16(int value, String field) {
        if ((value & ~0xffff) != 0) {
            throw new IllegalArgumentException(field + " must fit in 16 bits: " + value);
        }
        return value;
    }

    @Override
    public String toString() {
        return "virtio_net_hdr[flags=" + flags + ", gso_type=" + gsoType + ", hdr_len=" + hdrLen + ", gso_size="
                + gsoSize + ", csum_start=" + csumStart + ", csum_offset=" + csumOffset + "]";
    }
}
