package io.cryptun.cli.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.netty.buffer.ByteBuf;
import io.netty.channel.RecvByteBufAllocator;
import org.junit.jupiter.api.Test;

/**
 * The read buffer is reused only when nothing from the last read is still held: Netty releases
 * the buffer after each read and each datagram's slice once it was handled (as it does).
 */
class ReceiveBuffersTest {
    @Test
    void aReadBufferIsReusedOnceEveryDatagramOfTheLastReadWasReleased() {
        RecvByteBufAllocator.Handle h = new ReceiveBuffers(2048, 4, 16).newHandle();
        ByteBuf first = h.allocate(null);
        assertEquals(8192, first.capacity());
        first.writeBytes(new byte[300]);
        ByteBuf datagram = first.retainedSlice(0, 148); // what Netty hands the pipeline
        first.release(); // Netty, after the read
        datagram.release(); // the handler, after copying it out
        ByteBuf second = h.allocate(null);
        assertSame(first, second, "the same memory for the next read");
        assertEquals(0, second.writerIndex(), "and empty");
        second.release();
    }

    @Test
    void aDatagramStillHeldKeepsItsBufferAndTheNextReadGetsAnother() {
        RecvByteBufAllocator.Handle h = new ReceiveBuffers(2048, 4, 16).newHandle();
        ByteBuf first = h.allocate(null);
        first.writeBytes(new byte[] {1, 2, 3, 4});
        ByteBuf held = first.retainedSlice(0, 4);
        first.release();
        ByteBuf second = h.allocate(null);
        assertNotSame(first, second);
        second.writeBytes(new byte[] {9, 9, 9, 9});
        assertEquals(3, held.getByte(2), "the held datagram's bytes are untouched");
        held.release();
        assertEquals(0, first.refCnt(), "released once its holder let go");
        second.release();
        assertSame(second, h.allocate(null));
    }
}
