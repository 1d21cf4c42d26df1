package io.cryptun.tun;

import java.nio.ByteBuffer;
import java.util.Objects;

import com.sun.jna.Native;

/**
 * The read path of one {@link TunDevice}: packets from the kernel into the caller's buffers, waiting in poll(2)
 * on the descriptor and on the eventfd that the device's close signals. It holds the device's descriptor, guard
 * and address cache itself, so a packet read costs the device one call to it and nothing more.
 */
final class PacketReader {

    private static final int READY = 1;
    private static final int TIMED_OUT = 0;
    private static final int CLOSED = -1;

    private static final ThreadLocal<ByteBuffer> POLL_FDS = ThreadLocal.withInitial(NativeIo::pollFdsWithWake);

    private final String name;
    private final TunOptions options;
    private final int fd;
    private final int wakeFd;
    private final InFlightGuard guard;
    private final DirectAddresses addresses;
    /** Knows the current virtio-net header size, which TUNSETVNETHDRSZ may change. */
    private final TunInterfaceControl control;

    PacketReader(String name, TunOptions options, int fd, int wakeFd, InFlightGuard guard, DirectAddresses addresses,
            TunInterfaceControl control) {
        this.name = name;
        this.options = options;
        this.fd = fd;
        this.wakeFd = wakeFd;
        this.guard = guard;
        this.addresses = addresses;
        this.control = control;
    }

    int read(byte[] buf, int off, int len) throws TunException {
        Objects.checkFromIndexSize(off, len, buf.length);
        ByteBuffer scratch = PacketScratch.take(len);
        int n = readPacket(scratch, true);
        if (n > 0) {
            scratch.flip();
            scratch.get(buf, off, n);
        }
        return n;
    }

    int readBatch(ByteBuffer[] bufs, int[] lengths) throws TunException {
        if (bufs.length == 0 || lengths.length < bufs.length) {
            throw new IllegalArgumentException("need at least one buffer and as many lengths as buffers");
        }
        // one guard entry for the whole burst: the descriptor stays valid until the last read of it
        if (!guard.enter()) {
            return -1;
        }
        try {
            int first = readInGuard(bufs[0], true);
            if (first < 0) {
                return -1;
            }
            lengths[0] = first;
            int count = 1;
            while (count < bufs.length) {
                int n = readInGuard(bufs[count], false);
                if (n <= 0) {
                    break;
                }
                lengths[count++] = n;
            }
            return count;
        } finally {
            guard.exit();
        }
    }

    /** A direct buffer is read into at its address; a heap buffer through the per-thread scratch buffer. */
    private int readInGuard(ByteBuffer dst, boolean wait) throws TunException {
        return dst.isDirect() ? readDirect(dst, wait) : readIntoHeap(dst, wait);
    }

    boolean awaitReadable(long timeoutMillis) throws TunException {
        if (!guard.enter()) {
            return false;
        }
        try {
            return waitReadable(timeoutMillis) == READY;
        } finally {
            guard.exit();
        }
    }

    int readPacket(ByteBuffer dst, boolean wait) throws TunException {
        if (!dst.isDirect()) {
            return readIntoHeap(dst, wait);
        }
        if (!guard.enter()) {
            return -1;
        }
        try {
            return readDirect(dst, wait);
        } finally {
            guard.exit();
        }
    }

    /** Must be called inside the guard. Returns the bytes read, 0 if none is ready and not waiting, -1 if closed. */
    private int readDirect(ByteBuffer dst, boolean wait) throws TunException {
        int room = dst.remaining();
        if (room == 0) {
            throw new IllegalArgumentException("no room in the buffer for a packet");
        }
        long at = addresses.baseOf(dst) + dst.position();
        for (;;) {
            long n = NativeIo.read(fd, at, room);
            if (n >= 0) {
                // The kernel copies what fits, drops the rest and reports only the bytes copied; a full buffer
                // is the only sign, and the IP length field tells whether the packet was longer.
                if (n >= room) {
                    int header = options.vnetHeader() ? control.vnetHeaderSize() : 0;
                    int declared = declaredIpLength(dst, dst.position() + header, (int) n - header);
                    if (declared > n - header) {
                        throw new TunException("a " + (declared + header) + "-byte packet from TUN device " + name
                                + " did not fit in the " + room + " bytes left in the buffer and was dropped;"
                                + (header == 0 ? " read into buffers of at least the MTU"
                                        : " with offloads, read into buffers of " + header + " + 65535 bytes"));
                    }
                }
                dst.position(dst.position() + (int) n);
                return (int) n;
            }
            int errno = Native.getLastError();
            if (errno == Linux.EAGAIN) {
                if (!wait) {
                    return 0;
                }
                if (waitReadable(-1) == CLOSED) {
                    return -1;
                }
            } else if (errno != Linux.EINTR) {
                throw TunErrors.io(name, "read", errno);
            }
        }
    }

    /** Length an IP packet's header claims for the whole packet, or -1 if it cannot tell. */
    static int declaredIpLength(ByteBuffer b, int at, int available) {
        if (available < 1) {
            return -1;
        }
        int version = (b.get(at) & 0xff) >>> 4;
        if (version == 4 && available >= 4) {
            return uint16(b, at + 2);
        }
        if (version == 6 && available >= 6) {
            int payload = uint16(b, at + 4);
            return payload == 0 ? -1 : 40 + payload; // 0 means a jumbogram
        }
        return -1;
    }

    /** Network byte order, whatever order the caller set on the buffer. */
    private static int uint16(ByteBuffer b, int at) {
        return ((b.get(at) & 0xff) << 8) | (b.get(at + 1) & 0xff);
    }

    private int readIntoHeap(ByteBuffer dst, boolean wait) throws TunException {
        ByteBuffer scratch = PacketScratch.take(dst.remaining());
        int n = readPacket(scratch, wait);
        if (n > 0) {
            scratch.flip();
            dst.put(scratch);
        }
        return n;
    }

    /** Must be called inside the guard. Returns READY, TIMED_OUT or CLOSED. */
    private int waitReadable(long timeoutMillis) throws TunException {
        ByteBuffer pfds = POLL_FDS.get();
        timeoutMillis = Math.min(timeoutMillis, Integer.MAX_VALUE); // keeps the nanosecond deadline from overflowing
        long deadline = timeoutMillis > 0 ? System.nanoTime() + timeoutMillis * 1_000_000L : 0;
        int timeout = (int) (timeoutMillis < 0 ? -1 : timeoutMillis);
        for (;;) {
            int r = NativeIo.pollWithWake(pfds, fd, wakeFd, timeout);
            if (r > 0) {
                if (NativeIo.woken(pfds)) {
                    return CLOSED;
                }
                return READY; // POLLIN, or POLLERR/POLLHUP that the next read will report
            }
            if (r == 0) {
                return TIMED_OUT;
            }
            int errno = Native.getLastError();
            if (errno != Linux.EINTR) {
                throw TunErrors.io(name, "poll", errno);
            }
            if (timeoutMillis > 0) {
                timeout = (int) Math.max(0, Math.min((deadline - System.nanoTime()) / 1_000_000L, Integer.MAX_VALUE));
            }
        }
    }
}
