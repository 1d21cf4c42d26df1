package io.cryptun.tun;

import java.nio.ByteBuffer;

/**
 * The calling thread's direct buffer that heap buffers and byte arrays are copied through on their way to and
 * from the kernel: the packet calls take a native address, which only a direct buffer has. One per thread, shared
 * by the read and write paths of every device (a thread does one of them at a time).
 */
final class PacketScratch {

    /** A whole packet plus the largest virtio-net header. */
    static final int SIZE = TunDevice.MAX_PACKET_SIZE + 64;

    private static final ThreadLocal<ByteBuffer> SCRATCH = ThreadLocal.withInitial(
            () -> ByteBuffer.allocateDirect(SIZE));

    private PacketScratch() {
    }

    /** The calling thread's buffer as it is (creating it on the thread's first call). */
    static ByteBuffer ofThisThread() {
        return SCRATCH.get();
    }

    /** The calling thread's buffer, cleared, with room for {@code wanted} bytes or as many as it has. */
    static ByteBuffer take(int wanted) {
        ByteBuffer s = SCRATCH.get();
        s.clear();
        s.limit(Math.min(Math.max(wanted, 0), s.capacity()));
        return s;
    }
}
