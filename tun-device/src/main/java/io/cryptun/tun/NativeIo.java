package io.cryptun.tun;

import java.nio.ByteBuffer;

import com.sun.jna.Native;

/**
 * Direct-mapped libc calls for the per-packet path. JNA passes a direct buffer's address at its current
 * position without copying (verified), and leaves errno for {@link Native#getLastError()}.
 */
final class NativeIo {

    static {
        Native.register(NativeIo.class, "c");
    }

    private NativeIo() {
    }

    static native long read(int fd, ByteBuffer buf, long count);

    static native long write(int fd, ByteBuffer buf, long count);

    /**
     * The packet path's read and write: the buffer as a plain address, which JNA passes on without the per-call
     * type check and address lookup a {@code ByteBuffer} argument costs (see {@link DirectAddresses}).
     */
    static native long read(int fd, long address, long count);

    static native long write(int fd, long address, long count);

    /** {@code fds} is an array of {@code struct pollfd} (8 bytes each), starting at the buffer's position. */
    static native int poll(ByteBuffer fds, long nfds, int timeoutMillis);
}
