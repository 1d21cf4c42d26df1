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

    /** Size of a {@code struct pollfd}. */
    static final int POLLFD_SIZE = 8;

    /** Room for the two pollfds of {@link #pollWithWake}. */
    static ByteBuffer pollFdsWithWake() {
        return ByteBuffer.allocateDirect(2 * POLLFD_SIZE).order(java.nio.ByteOrder.nativeOrder());
    }

    /**
     * poll(2) for input on {@code fd} and on {@code wakeFd} (the eventfd a close signals), their two
     * pollfds written into {@code fds} first; what poll returns. Then {@link #woken} and
     * {@link #ready} tell which fired.
     */
    static int pollWithWake(ByteBuffer fds, int fd, int wakeFd, int timeoutMillis) {
        fds.putInt(0, fd);
        fds.putShort(4, Linux.POLLIN);
        fds.putShort(6, (short) 0);
        fds.putInt(POLLFD_SIZE, wakeFd);
        fds.putShort(POLLFD_SIZE + 4, Linux.POLLIN);
        fds.putShort(POLLFD_SIZE + 6, (short) 0);
        return poll(fds, 2, timeoutMillis);
    }

    /** After {@link #pollWithWake}: whether the wake descriptor fired. */
    static boolean woken(ByteBuffer fds) {
        return fds.getShort(POLLFD_SIZE + 6) != 0;
    }

    /** After {@link #pollWithWake}: whether the watched descriptor fired (input, an error or a hangup). */
    static boolean ready(ByteBuffer fds) {
        return fds.getShort(6) != 0;
    }
}
