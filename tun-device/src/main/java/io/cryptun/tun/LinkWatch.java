package io.cryptun.tun;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Waits for link changes (an interface created, deleted, brought up or down, its MTU changed) in
 * the network namespace it was opened in, through a netlink route socket subscribed to
 * RTMGRP_LINK. A daemon re-reads its device's state when told instead of polling it: an idle
 * daemon then does not wake up at all. It says only that something changed, not what: the caller
 * reads what it needs. {@link #close()} wakes a waiting thread.
 */
public final class LinkWatch implements AutoCloseable {
    private static final int SOCKADDR_NL_SIZE = 12;

    private final int socket;
    private final int wakeFd;
    private final ByteBuffer pollFds = NativeIo.pollFdsWithWake();
    private final ByteBuffer drain = ByteBuffer.allocateDirect(8192);
    private volatile boolean closed;

    private LinkWatch(int socket, int wakeFd) {
        this.socket = socket;
        this.wakeFd = wakeFd;
    }

    /** Subscribes to link changes in the calling thread's network namespace. */
    public static LinkWatch open() throws TunException {
        int fd;
        try {
            fd = LibC.INSTANCE.socket(Linux.AF_NETLINK, Linux.SOCK_RAW | Linux.SOCK_NONBLOCK | Linux.SOCK_CLOEXEC,
                    Linux.NETLINK_ROUTE);
        } catch (LastErrorException e) {
            throw TunErrors.io("netlink", "socket", e.getErrorCode());
        }
        try (Memory addr = new Memory(SOCKADDR_NL_SIZE)) {
            addr.clear();
            addr.setShort(0, (short) Linux.AF_NETLINK);
            addr.setInt(8, Linux.RTMGRP_LINK);
            LibC.INSTANCE.bind(fd, addr, SOCKADDR_NL_SIZE);
        } catch (LastErrorException e) {
            LibC.INSTANCE.close(fd);
            throw TunErrors.io("netlink", "bind", e.getErrorCode());
        }
        int wake;
        try {
            wake = LibC.INSTANCE.eventfd(0, Linux.EFD_CLOEXEC | Linux.EFD_NONBLOCK);
        } catch (LastErrorException e) {
            LibC.INSTANCE.close(fd);
            throw TunErrors.io("netlink", "eventfd", e.getErrorCode());
        }
        return new LinkWatch(fd, wake);
    }

    /**
     * Waits until a link changes (true; the notifications are consumed) or the watch is closed
     * (false). One thread at a time.
     */
    public boolean await() throws TunException {
        while (!closed) {
            int r = NativeIo.pollWithWake(pollFds, socket, wakeFd, -1);
            if (r < 0) {
                int errno = Native.getLastError();
                if (errno == Linux.EINTR) {
                    continue;
                }
                throw TunErrors.io("netlink", "poll", errno);
            }
            if (closed || NativeIo.woken(pollFds)) {
                return false;
            }
            if (NativeIo.ready(pollFds)) {
                // whatever the messages say (ENOBUFS after an overflow included): the caller re-reads
                while (NativeIo.read(socket, drain.clear(), drain.capacity()) > 0) {
                    // drained
                }
                return true;
            }
        }
        return false;
    }

    /** Wakes the waiting thread, which returns false; the descriptors close once it has. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        ByteBuffer one = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
        one.putLong(0, 1L);
        NativeIo.write(wakeFd, one, 8);
    }

    /** Releases the descriptors; call after the waiting thread returned. */
    public void release() {
        LibC.INSTANCE.close(socket);
        LibC.INSTANCE.close(wakeFd);
    }
}
