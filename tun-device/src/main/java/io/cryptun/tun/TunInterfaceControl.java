package io.cryptun.tun;

import java.nio.charset.StandardCharsets;
import java.util.Set;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.NativeLong;
import com.sun.jna.ptr.IntByReference;

/**
 * The interface-control calls of one {@link TunDevice}, none of them on the packet path. MTU and up/down flags
 * are socket ioctls on a control socket made beside the device, so they name the interface in the device's network
 * namespace whichever thread calls; offloads and the virtio-net header size are ioctls on the TUN descriptor. Each
 * call holds the device's close guard, so the device, which owns the descriptors, never closes one under a call.
 */
final class TunInterfaceControl {

    private final String name;
    private final TunOptions options;
    private final int fd;
    private final int controlSocket;
    private final InFlightGuard guard;
    /** Bytes of virtio-net header before each packet (vnet-header devices only; TUNSETVNETHDRSZ changes it). */
    private volatile int vnetHeaderSize = 10;
    /** The offloads last accepted by {@link #trySetOffload}; none until then. */
    private volatile Set<TunOffload> activeOffloads;
    /** One struct ifreq for the control calls; guarded by its own monitor. */
    private final Memory ifreq = new Memory(Linux.SIZEOF_IFREQ);

    TunInterfaceControl(String name, TunOptions options, int fd, int controlSocket, InFlightGuard guard,
            Set<TunOffload> activeOffloads) {
        this.name = name;
        this.options = options;
        this.fd = fd;
        this.controlSocket = controlSocket;
        this.guard = guard;
        this.activeOffloads = activeOffloads;
    }

    static int openControlSocket(String name) throws TunException {
        try {
            return LibC.INSTANCE.socket(Linux.AF_INET, Linux.SOCK_DGRAM | Linux.SOCK_CLOEXEC, 0);
        } catch (LastErrorException e4) {
            try {
                // A kernel without IPv4 still answers interface ioctls on an IPv6 socket.
                return LibC.INSTANCE.socket(Linux.AF_INET6, Linux.SOCK_DGRAM | Linux.SOCK_CLOEXEC, 0);
            } catch (LastErrorException e6) {
                throw new TunException("control socket for TUN device " + name + " failed: "
                        + TunErrors.describe(e4.getErrorCode()), e4.getErrorCode());
            }
        }
    }

    int mtu() throws TunException {
        enterOrThrow();
        try {
            synchronized (ifreq) {
                prepareIfreq();
                LibC.INSTANCE.ioctl(controlSocket, new NativeLong(Linux.SIOCGIFMTU), ifreq);
                return ifreq.getInt(Linux.IFREQ_UNION);
            }
        } catch (LastErrorException e) {
            throw TunErrors.io(name, "SIOCGIFMTU", e.getErrorCode());
        } finally {
            guard.exit();
        }
    }

    void setMtu(int mtu) throws TunException {
        enterOrThrow();
        try {
            synchronized (ifreq) {
                prepareIfreq();
                ifreq.setInt(Linux.IFREQ_UNION, mtu);
                LibC.INSTANCE.ioctl(controlSocket, new NativeLong(Linux.SIOCSIFMTU), ifreq);
            }
        } catch (LastErrorException e) {
            String hint = e.getErrorCode() == Linux.EINVAL
                    ? " (the TUN driver accepts 68.." + TunDevice.MAX_PACKET_SIZE + ")" : "";
            throw new TunException("setting the MTU of TUN device " + name + " to " + mtu + " failed: "
                    + TunErrors.describe(e.getErrorCode()) + hint, e.getErrorCode());
        } finally {
            guard.exit();
        }
    }

    boolean isUp() throws TunException {
        enterOrThrow();
        try {
            synchronized (ifreq) {
                return (readFlags() & Linux.IFF_UP) != 0;
            }
        } catch (LastErrorException e) {
            throw TunErrors.io(name, "SIOCGIFFLAGS", e.getErrorCode());
        } finally {
            guard.exit();
        }
    }

    void setUp() throws TunException {
        enterOrThrow();
        try {
            synchronized (ifreq) {
                short flags = readFlags();
                if ((flags & Linux.IFF_UP) == 0) {
                    prepareIfreq();
                    ifreq.setShort(Linux.IFREQ_UNION, (short) (flags | Linux.IFF_UP));
                    LibC.INSTANCE.ioctl(controlSocket, new NativeLong(Linux.SIOCSIFFLAGS), ifreq);
                }
            }
        } catch (LastErrorException e) {
            throw TunErrors.io(name, "setting the interface up (SIOCSIFFLAGS)", e.getErrorCode());
        } finally {
            guard.exit();
        }
    }

    private short readFlags() {
        prepareIfreq();
        LibC.INSTANCE.ioctl(controlSocket, new NativeLong(Linux.SIOCGIFFLAGS), ifreq);
        return ifreq.getShort(Linux.IFREQ_UNION);
    }

    private void prepareIfreq() {
        ifreq.clear();
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        ifreq.write(0, n, 0, n.length);
    }

    // ---------------------------------------------------------------- offloads (vnet header devices)

    Set<TunOffload> offloads() {
        return activeOffloads;
    }

    boolean trySetOffload(Set<TunOffload> offloads) throws TunException {
        requireVnetHeader();
        enterOrThrow();
        try {
            LibC.INSTANCE.ioctl(fd, new NativeLong(Linux.TUNSETOFFLOAD), new NativeLong(TunOffload.toFlags(offloads)));
            activeOffloads = offloads.isEmpty() ? java.util.Set.of() : java.util.Set.copyOf(java.util.EnumSet.copyOf(offloads));
            return true;
        } catch (LastErrorException e) {
            if (e.getErrorCode() == Linux.EINVAL) {
                return false;
            }
            throw TunErrors.io(name, "TUNSETOFFLOAD", e.getErrorCode());
        } finally {
            guard.exit();
        }
    }

    /** Read by the read path only when a packet filled the buffer, to find the IP header after it. */
    int vnetHeaderSize() {
        return vnetHeaderSize;
    }

    void setVnetHeaderSize(int size) throws TunException {
        requireVnetHeader();
        enterOrThrow();
        try {
            IntByReference value = new IntByReference(size);
            LibC.INSTANCE.ioctl(fd, new NativeLong(Linux.TUNSETVNETHDRSZ), value.getPointer());
            vnetHeaderSize = size;
        } catch (LastErrorException e) {
            throw new TunException("setting the vnet header size of TUN device " + name + " to " + size
                    + " failed: " + TunErrors.describe(e.getErrorCode()), e.getErrorCode());
        } finally {
            guard.exit();
        }
    }

    private void requireVnetHeader() {
        if (!options.vnetHeader()) {
            throw new IllegalStateException("TUN device " + name + " has no vnet header; open it with "
                    + "TunOptions.defaults().withVnetHeader(true)");
        }
    }

    private void enterOrThrow() throws TunClosedException {
        if (!guard.enter()) {
            throw new TunClosedException(name);
        }
    }
}
