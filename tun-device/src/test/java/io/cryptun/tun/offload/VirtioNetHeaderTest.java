package io.cryptun.tun.offload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class VirtioNetHeaderTest {

    @Test
    void layoutIsTheKernelStructInHostByteOrder() {
        byte[] b = new byte[12];
        new VirtioNetHeader().flags(1).gsoType(0x84).hdrLen(0x0102).gsoSize(0x0304).csumStart(0x0506)
                .csumOffset(0x0708).writeTo(b, 1);
        byte[] want = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN
                ? new byte[] {0, 1, (byte) 0x84, 2, 1, 4, 3, 6, 5, 8, 7, 0}
                : new byte[] {0, 1, (byte) 0x84, 1, 2, 3, 4, 5, 6, 7, 8, 0};
        assertArrayEquals(want, b);
    }

    @Test
    void readsBackWhatWasWritten() {
        byte[] b = new byte[10];
        new VirtioNetHeader().flags(VirtioNetHeader.FLAG_NEEDS_CSUM).gsoType(VirtioNetHeader.GSO_TCPV6).hdrLen(60)
                .gsoSize(65535).csumStart(40).csumOffset(16).writeTo(b, 0);
        VirtioNetHeader h = new VirtioNetHeader().readFrom(b, 0);
        assertEquals(1, h.flags());
        assertEquals(4, h.gsoType());
        assertEquals(60, h.hdrLen());
        assertEquals(65535, h.gsoSize());
        assertEquals(40, h.csumStart());
        assertEquals(16, h.csumOffset());
        assertEquals(1, VirtioNetHeader.flags(b, 0));
        assertEquals(4, VirtioNetHeader.gsoType(b, 0));
        assertEquals(60, VirtioNetHeader.hdrLen(b, 0));
        assertEquals(65535, VirtioNetHeader.gsoSize(b, 0));
        assertEquals(40, VirtioNetHeader.csumStart(b, 0));
        assertEquals(16, VirtioNetHeader.csumOffset(b, 0));
        h.clear().writeTo(b, 0);
        assertArrayEquals(new byte[10], b);
    }

    @Test
    void writeNoneZeroesTenBytesOnly() {
        byte[] b = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};
        VirtioNetHeader.writeNone(b, 1);
        assertArrayEquals(new byte[] {9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9}, b);
    }

    @Test
    void rejectsShortBuffersAndOutOfRangeFields() {
        assertThrows(IndexOutOfBoundsException.class, () -> new VirtioNetHeader().readFrom(new byte[9], 0));
        assertThrows(IndexOutOfBoundsException.class, () -> new VirtioNetHeader().writeTo(new byte[12], 3));
        assertThrows(IndexOutOfBoundsException.class, () -> VirtioNetHeader.writeNone(new byte[10], -1));
        assertThrows(IllegalArgumentException.class, () -> new VirtioNetHeader().flags(256));
        assertThrows(IllegalArgumentException.class, () -> new VirtioNetHeader().gsoSize(65536));
        assertThrows(IllegalArgumentException.class, () -> new VirtioNetHeader().csumStart(-1));
    }
}
