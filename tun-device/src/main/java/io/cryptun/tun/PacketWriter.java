package io.cryptun.tun;

import java.nio.ByteBuffer;
import java.util.Objects;

import com.sun.jna.Native;

/**
 * The write path of one {@link TunDevice}: one whole packet from the caller's buffer to the kernel per call.
 * It holds the device's descriptor, guard and address cache itself, so a packet written costs the device one
 * call to it and nothing more.
 */
final class PacketWriter {

    private final String name;
    private final TunOptions options;
    private final int fd;
    private final InFlightGuard guard;
    private final DirectAddresses addresses;

    PacketWriter(String name, TunOptions options, int fd, InFlightGuard guard, DirectAddresses addresses) {
        this.name = name;
        this.options = options;
        this.fd = fd;
        this.guard = guard;
        this.addresses = addresses;
    }

    int write(ByteBuffer src) throws TunException {
        int len = src.remaining();
        if (len == 0) {
            throw new IllegalArgumentException("empty packet");
        }
        if (!src.isDirect()) {
            ByteBuffer scratch = PacketScratch.take(len);
            if (len > scratch.remaining()) {
                throw new IllegalArgumentException("packet of " + len + " bytes is larger than " + PacketScratch.SIZE);
            }
            scratch.put(src.duplicate()).flip();
            int n = writePacket(scratch);
            src.position(src.position() + n);
            return n;
        }
        return writePacket(src);
    }

    int write(byte[] buf, int off, int len) throws TunException {
        Objects.checkFromIndexSize(off, len, buf.length);
        if (len == 0) {
            throw new IllegalArgumentException("empty packet");
        }
        ByteBuffer scratch = PacketScratch.take(len);
        if (len > scratch.remaining()) {
            throw new IllegalArgumentException("packet of " + len + " bytes is larger than " + PacketScratch.SIZE);
        }
        scratch.put(buf, off, len).flip();
        return writePacket(scratch);
    }

    private int writePacket(ByteBuffer src) throws TunException {
        int len = src.remaining();
        if (!guard.enter()) {
            throw new TunClosedException(name);
        }
        try {
            long at = addresses.baseOf(src) + src.position();
            for (;;) {
                long n = NativeIo.write(fd, at, len);
                if (n >= 0) {
                    src.position(src.position() + (int) n);
                    return (int) n;
                }
                int errno = Native.getLastError();
                if (errno == Linux.EAGAIN || errno == Linux.ENOBUFS || errno == Linux.ENOMEM) {
                    return 0;
                }
                if (errno == Linux.EINVAL && !options.vnetHeader()) {
                    int version = (src.get(src.position()) & 0xff) >>> 4;
                    throw new TunException("TUN device " + name + " rejected a " + len + "-byte packet with IP version "
                            + version + " (only 4 and 6 can be written): " + TunErrors.describe(errno), errno);
                }
                if (errno != Linux.EINTR) {
                    throw TunErrors.io(name, "write of a " + len + "-byte packet", errno);
                }
            }
        } finally {
            guard.exit();
        }
    }

    /** The scratch buffer and its address, looked up now rather than on the thread's first packet. */
    void prepareThread() {
        addresses.baseOf(PacketScratch.ofThisThread());
    }
}
