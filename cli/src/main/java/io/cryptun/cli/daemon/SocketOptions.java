package io.cryptun.cli.daemon;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.ptr.IntByReference;
import java.io.IOException;

/** Socket options Netty does not expose, set on the socket's fd through libc. */
final class SocketOptions {
    private static final int SOL_SOCKET = 1;
    private static final int SO_MARK = 36;
    private static final int SO_RCVBUFFORCE = 33;

    private interface LibC extends Library {
        LibC INSTANCE = Native.load("c", LibC.class);

        int setsockopt(int fd, int level, int name, IntByReference value, int len) throws LastErrorException;
    }

    private SocketOptions() {
    }

    /** SO_MARK (the fwmark), 0 to clear. Needs CAP_NET_ADMIN. */
    static void setMark(int fd, int mark) throws IOException {
        try {
            LibC.INSTANCE.setsockopt(fd, SOL_SOCKET, SO_MARK, new IntByReference(mark), 4);
        } catch (LastErrorException e) {
            throw new IOException("setsockopt(SO_MARK): errno " + e.getErrorCode());
        }
    }

    /**
     * SO_RCVBUFFORCE: a receive buffer of {@code bytes} (the kernel doubles it for its own overhead)
     * past net.core.rmem_max, which is 208 KiB on a stock kernel. Needs CAP_NET_ADMIN; false when refused.
     */
    static boolean forceReceiveBuffer(int fd, int bytes) {
        try {
            LibC.INSTANCE.setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, new IntByReference(bytes), 4);
            return true;
        } catch (LastErrorException e) {
            return false;
        }
    }
}
