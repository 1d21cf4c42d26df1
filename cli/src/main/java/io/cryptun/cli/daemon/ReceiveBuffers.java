package io.cryptun.cli.daemon;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultMaxMessagesRecvByteBufAllocator;
import java.nio.ByteBuffer;

/**
 * The UDP socket's read buffer: room for {@code datagrams} datagrams of up to {@code slot} bytes
 * each, so one recvmmsg call takes that many; the same memory for every read.
 *
 * <p>Why not Netty's FixedRecvByteBufAllocator: a read buffer of many 64 KiB slots is larger than
 * what Netty's allocators keep pooled with the daemon's small heap, so every read allocated a new
 * direct buffer, which the JDK zeroes; under issue 11's flood that zeroing was more than half of
 * the receiving thread's time (perf: Unsafe.setMemory); and zeroed memory is resident memory.
 * Reusing is safe because the datagrams of a
 * read are handed over and copied out before the next read (UdpTransport's handler copies each into
 * its array at once); should a slice of the last read still be held when the next read starts (its
 * reference count tells), that read gets a fresh buffer and the old one is left to its holder.
 */
final class ReceiveBuffers extends DefaultMaxMessagesRecvByteBufAllocator {
    private final int bufferSize;

    ReceiveBuffers(int slot, int datagrams, int datagramsPerWakeUp) {
        super(datagramsPerWakeUp);
        this.bufferSize = slot * datagrams;
    }

    /**
     * Native memory the JDK does not zero (ByteBuffer.allocateDirect would, making every byte of
     * every slot resident): only the pages the kernel writes datagrams into become part of the
     * daemon's memory, the first of each slot for WireGuard-sized datagrams. JNA's Memory is freed
     * when neither it nor the view is reachable any more.
     */
    static ByteBuffer unzeroedDirect(int size) {
        return new com.sun.jna.Memory(size).getByteBuffer(0, size);
    }

    @Override
    public Handle newHandle() {
        return new MaxMessageHandle() {
            /** Ours (one reference held here); direct memory the JDK frees once it is unreachable. */
            private ByteBuf reusable;

            @Override
            public ByteBuf allocate(ByteBufAllocator ignored) {
                ByteBuf b = reusable;
                if (b == null || b.refCnt() != 1) {
                    if (b != null) {
                        b.release(); // the holders of its slices keep it alive until they let go
                    }
                    b = Unpooled.wrappedBuffer(unzeroedDirect(bufferSize));
                    reusable = b;
                }
                b.clear();
                return b.retain(); // the reader releases this reference after the read
            }

            @Override
            public int guess() {
                return bufferSize;
            }
        };
    }
}
