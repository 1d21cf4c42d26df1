package io.cryptun.tun;

import java.io.Closeable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Set;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.ptr.IntByReference;

/**
 * A Linux TUN interface ({@code /dev/net/tun}, {@code IFF_TUN | IFF_NO_PI}): every {@code read} returns one whole
 * IP packet the kernel routed to the interface, every {@code write} hands one whole IP packet to the kernel as if
 * it had arrived on the interface.
 *
 * <h2>Namespaces</h2>
 * The interface is created in the network namespace of the calling <em>thread</em> and stays there; the control
 * socket used for {@link #mtu()}, {@link #setMtu(int)} and {@link #setUp()} is created alongside it, so those keep
 * working from any thread. {@link #openQueue()} must be called from a thread in the same namespace.
 *
 * <h2>Threading</h2>
 * <ul>
 *   <li>The descriptor is non-blocking; a read with no packet ready waits in poll(2) on the descriptor and on an
 *       eventfd that {@link #close()} signals. A reader blocked in {@link #read(ByteBuffer)} therefore returns
 *       {@code -1} promptly when another thread closes the device. Thread interruption does not wake it.</li>
 *   <li>Reads and writes may run concurrently from different threads (the usual model is one reader thread per
 *       queue plus any number of writers). Each read returns a whole packet, so several readers on one device
 *       are also safe, though they compete for packets.</li>
 *   <li>{@link #close()} waits until every read, write and control call in progress has left the kernel and only
 *       then closes the descriptors, so no call can ever use a descriptor number after it was released.</li>
 * </ul>
 *
 * <h2>Hot path</h2>
 * With direct {@link ByteBuffer}s, {@link #read(ByteBuffer)}, {@link #tryRead(ByteBuffer)},
 * {@link #readBatch(ByteBuffer[], int[])} and {@link #write(ByteBuffer)} are one JNA direct-mapped system call each
 * and allocate nothing. Heap buffers and the {@code byte[]} variants copy through a per-thread direct buffer.
 */
public final class TunDevice implements Closeable {

    /** Largest IP packet (and largest TUN MTU). */
    public static final int MAX_PACKET_SIZE = 65535;

    private static final String TUN_PATH = TunErrors.DEVICE;
    /** A whole packet plus the largest virtio-net header. */
    private static final int SCRATCH_SIZE = MAX_PACKET_SIZE + 64;
    private static final int POLLFD_SIZE = 8;

    private static final int READY = 1;
    private static final int TIMED_OUT = 0;
    private static final int CLOSED = -1;

    private static final ThreadLocal<ByteBuffer> POLL_FDS = ThreadLocal.withInitial(
            () -> ByteBuffer.allocateDirect(2 * POLLFD_SIZE).order(ByteOrder.nativeOrder()));
    private static final ThreadLocal<ByteBuffer> SCRATCH = ThreadLocal.withInitial(
            () -> ByteBuffer.allocateDirect(SCRATCH_SIZE));

    private final String name;
    private final TunOptions options;
    private final int fd;
    private final int wakeFd;
    private final int controlSocket;
    private final InFlightGuard guard = new InFlightGuard();
    private final DirectAddresses addresses = new DirectAddresses();
    /** Bytes of virtio-net header before each packet (vnet-header devices only; TUNSETVNETHDRSZ changes it). */
    private volatile int vnetHeaderSize = 10;
    /** The offloads last accepted by {@link #trySetOffload}; none until then. */
    private volatile Set<TunOffload> activeOffloads = Set.of();
    /** One struct ifreq for the control calls; guarded by its own monitor. */
    private final Memory ifreq = new Memory(Linux.SIZEOF_IFREQ);

    private TunDevice(String name, TunOptions options, int fd, int wakeFd, int controlSocket) {
        this.name = name;
        this.options = options;
        this.fd = fd;
        this.wakeFd = wakeFd;
        this.controlSocket = controlSocket;
    }

    /** Opens (creating if needed) the single-queue TUN interface {@code name}; see {@link #open(String, TunOptions)}. */
    public static TunDevice open(String name) throws TunException {
        return open(name, TunOptions.defaults());
    }

    /**
     * Opens the TUN interface {@code name} in the calling thread's network namespace, creating it if it does not
     * exist. The interface is removed when its last descriptor is closed. It starts down, without addresses.
     *
     * @param name at most 15 bytes, no '/', ':' or whitespace; a {@code %d} in it (e.g. {@code "tun%d"}) lets the
     *             kernel pick a free number, and {@link #name()} then tells the actual name
     * @throws TunException with a message that says what is missing: an invalid name, no /dev/net/tun, no
     *                      CAP_NET_ADMIN, the name in use by another descriptor or by a non-TUN interface
     */
    public static TunDevice open(String name, TunOptions options) throws TunException {
        Objects.requireNonNull(options, "options");
        byte[] nameBytes = TunErrors.validateName(name);
        int fd;
        try {
            fd = LibC.INSTANCE.open(TUN_PATH, Linux.O_RDWR | Linux.O_CLOEXEC | Linux.O_NONBLOCK);
        } catch (LastErrorException e) {
            throw TunErrors.openDevice(e.getErrorCode());
        }
        int wakeFd = -1;
        int controlSocket = -1;
        try {
            Memory ifr = new Memory(Linux.SIZEOF_IFREQ);
            ifr.clear();
            ifr.write(0, nameBytes, 0, nameBytes.length);
            ifr.setShort(Linux.IFREQ_UNION, (short) options.ifreqFlags());
            try {
                LibC.INSTANCE.ioctl(fd, new NativeLong(Linux.TUNSETIFF), ifr);
            } catch (LastErrorException e) {
                throw TunErrors.createDevice(name, e.getErrorCode());
            }
            String actualName = ifr.getString(0, StandardCharsets.UTF_8.name());
            try {
                wakeFd = LibC.INSTANCE.eventfd(0, Linux.EFD_CLOEXEC | Linux.EFD_NONBLOCK);
            } catch (LastErrorException e) {
                throw new TunException("eventfd for TUN device " + actualName + " failed: "
                        + TunErrors.describe(e.getErrorCode()), e.getErrorCode());
            }
            controlSocket = openControlSocket(actualName);
            return new TunDevice(actualName, options, fd, wakeFd, controlSocket);
        } catch (TunException | RuntimeException | Error e) {
            closeQuietly(controlSocket);
            closeQuietly(wakeFd);
            closeQuietly(fd);
            throw e;
        }
    }

    /**
     * Two connected stand-ins for a TUN device, made of a {@code SOCK_SEQPACKET} socket pair instead of
     * {@code /dev/net/tun}: a packet written to one is read whole from the other, with the same calls, the same
     * non-blocking reads, poll and close as a TUN device, and no interface, privilege or namespace. One end is
     * handed to code that runs a TUN device (a daemon's warm-up runs its real packet path on it); the other plays
     * the kernel, writing the packets an application would route to the interface and reading what is delivered.
     * With {@code options.vnetHeader()} both ends speak virtio-net headers and report {@code offloads} as active.
     * Interface control calls ({@link #mtu()}, {@link #isUp()} ...) fail: there is no interface.
     */
    public static TunDevice[] socketPair(String label, TunOptions options, Set<TunOffload> offloads) throws TunException {
        Objects.requireNonNull(options, "options");
        int[] sv = {-1, -1};
        int[] wake = {-1, -1};
        try {
            LibC.INSTANCE.socketpair(Linux.AF_UNIX, Linux.SOCK_SEQPACKET | Linux.SOCK_NONBLOCK | Linux.SOCK_CLOEXEC, 0, sv);
            wake[0] = LibC.INSTANCE.eventfd(0, Linux.EFD_CLOEXEC | Linux.EFD_NONBLOCK);
            wake[1] = LibC.INSTANCE.eventfd(0, Linux.EFD_CLOEXEC | Linux.EFD_NONBLOCK);
        } catch (LastErrorException e) {
            for (int fd : new int[] {sv[0], sv[1], wake[0], wake[1]}) {
                closeQuietly(fd);
            }
            throw new TunException("socket pair for " + label + " failed: " + TunErrors.describe(e.getErrorCode()),
                    e.getErrorCode());
        }
        TunDevice[] pair = new TunDevice[2];
        for (int i = 0; i < 2; i++) {
            pair[i] = new TunDevice(label + (i == 0 ? " (device)" : " (kernel)"), options, sv[i], wake[i], -1);
            if (options.vnetHeader() && !offloads.isEmpty()) {
                pair[i].activeOffloads = Set.copyOf(java.util.EnumSet.copyOf(offloads));
            }
        }
        return pair;
    }

    private static int openControlSocket(String name) throws TunException {
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

    /**
     * Opens one more queue of this multi-queue interface: a new descriptor attached to the same interface, with
     * its own reader. Call it from a thread in the interface's network namespace. Each queue is closed on its own;
     * the interface disappears with the last one.
     *
     * @throws IllegalStateException if the device was not opened with {@link TunOptions#withMultiQueue(boolean)}
     */
    public TunDevice openQueue() throws TunException {
        if (!options.multiQueue()) {
            throw new IllegalStateException("TUN device " + name + " is not multi-queue; open it with "
                    + "TunOptions.defaults().withMultiQueue(true)");
        }
        if (guard.isClosed()) {
            throw new TunClosedException(name);
        }
        return open(name, options);
    }

    /** The TUNGETFEATURES flags of this kernel's TUN driver (opens and closes /dev/net/tun; needs no privilege). */
    public static Set<TunFeature> kernelFeatures() throws TunException {
        int fd;
        try {
            fd = LibC.INSTANCE.open(TUN_PATH, Linux.O_RDWR | Linux.O_CLOEXEC);
        } catch (LastErrorException e) {
            throw TunErrors.openDevice(e.getErrorCode());
        }
        try {
            IntByReference features = new IntByReference();
            LibC.INSTANCE.ioctl(fd, new NativeLong(Linux.TUNGETFEATURES), features.getPointer());
            return TunFeature.fromFlags(features.getValue());
        } catch (LastErrorException e) {
            throw new TunException("TUNGETFEATURES failed: " + TunErrors.describe(e.getErrorCode()),
                    e.getErrorCode());
        } finally {
            closeQuietly(fd);
        }
    }

    /** The interface name the kernel gave the device. */
    public String name() {
        return name;
    }

    public TunOptions options() {
        return options;
    }

    public boolean isOpen() {
        return !guard.isClosed();
    }

    // ---------------------------------------------------------------- reading

    /**
     * Reads one packet into {@code dst} at its position, waiting until one is available, and advances the position.
     *
     * @param dst must have room for a whole packet (the MTU, plus the virtio-net header with vnet headers)
     * @return the packet length, or {@code -1} if the device is (or gets) closed
     * @throws TunException if the read fails, or the packet was larger than {@code dst.remaining()} (the kernel then
     *                      drops the rest of it)
     */
    public int read(ByteBuffer dst) throws TunException {
        return readPacket(dst, true);
    }

    /**
     * Reads one packet if one is ready, without waiting.
     *
     * @return the packet length, {@code 0} if no packet is ready, or {@code -1} if the device is closed
     */
    public int tryRead(ByteBuffer dst) throws TunException {
        return readPacket(dst, false);
    }

    /** {@link #read(ByteBuffer)} into a byte array; returns the packet length or {@code -1} when closed. */
    public int read(byte[] buf, int off, int len) throws TunException {
        Objects.checkFromIndexSize(off, len, buf.length);
        ByteBuffer scratch = scratch(len);
        int n = readPacket(scratch, true);
        if (n > 0) {
            scratch.flip();
            scratch.get(buf, off, n);
        }
        return n;
    }

    /**
     * Waits for the first packet, then takes as many more as are ready without waiting, up to {@code bufs.length}:
     * one wakeup for a burst. Packet {@code i} is read at {@code bufs[i]}'s position (which advances) and its length
     * stored in {@code lengths[i]}.
     *
     * @return the number of packets read (at least 1), or {@code -1} if the device is (or gets) closed before any
     */
    public int readBatch(ByteBuffer[] bufs, int[] lengths) throws TunException {
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

    /**
     * Waits until a packet can be read, the timeout passes, or the device is closed.
     *
     * @param timeoutMillis negative waits without limit, 0 only checks
     * @return true if a read will find a packet (or an error to report); false on timeout or when closed
     */
    public boolean awaitReadable(long timeoutMillis) throws TunException {
        if (!guard.enter()) {
            return false;
        }
        try {
            return waitReadable(timeoutMillis) == READY;
        } finally {
            guard.exit();
        }
    }

    private int readPacket(ByteBuffer dst, boolean wait) throws TunException {
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
                    int header = options.vnetHeader() ? vnetHeaderSize : 0;
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
        ByteBuffer scratch = scratch(dst.remaining());
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
            pfds.putInt(0, fd);
            pfds.putShort(4, Linux.POLLIN);
            pfds.putShort(6, (short) 0);
            pfds.putInt(POLLFD_SIZE, wakeFd);
            pfds.putShort(POLLFD_SIZE + 4, Linux.POLLIN);
            pfds.putShort(POLLFD_SIZE + 6, (short) 0);
            int r = NativeIo.poll(pfds, 2, timeout);
            if (r > 0) {
                if (pfds.getShort(POLLFD_SIZE + 6) != 0) {
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

    // ---------------------------------------------------------------- writing

    /**
     * Writes the remaining bytes of {@code src} as one packet and advances its position.
     *
     * @return the number of bytes written ({@code src.remaining()}), or {@code 0} if the kernel dropped the packet
     *         for lack of memory or queue space (position unchanged; count it as a drop)
     * @throws TunClosedException if the device is closed
     * @throws TunException       if the kernel rejects the packet (not IPv4/IPv6: EINVAL) or the write fails
     */
    public int write(ByteBuffer src) throws TunException {
        int len = src.remaining();
        if (len == 0) {
            throw new IllegalArgumentException("empty packet");
        }
        if (!src.isDirect()) {
            ByteBuffer scratch = scratch(len);
            if (len > scratch.remaining()) {
                throw new IllegalArgumentException("packet of " + len + " bytes is larger than " + SCRATCH_SIZE);
            }
            scratch.put(src.duplicate()).flip();
            int n = writePacket(scratch);
            src.position(src.position() + n);
            return n;
        }
        return writePacket(src);
    }

    /** {@link #write(ByteBuffer)} from a byte array. */
    public int write(byte[] buf, int off, int len) throws TunException {
        Objects.checkFromIndexSize(off, len, buf.length);
        if (len == 0) {
            throw new IllegalArgumentException("empty packet");
        }
        ByteBuffer scratch = scratch(len);
        if (len > scratch.remaining()) {
            throw new IllegalArgumentException("packet of " + len + " bytes is larger than " + SCRATCH_SIZE);
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

    /**
     * Takes the calling thread's first-write costs now: its scratch buffer (64 KiB of direct memory
     * the JDK zeroes) and the buffer's native address. A thread that will write packets (the UDP
     * event loop) calls it at start, so the first packet it delivers does not pay them.
     */
    public void prepareThread() {
        addresses.baseOf(SCRATCH.get());
    }

    private static ByteBuffer scratch(int wanted) {
        ByteBuffer s = SCRATCH.get();
        s.clear();
        s.limit(Math.min(Math.max(wanted, 0), s.capacity()));
        return s;
    }

    // ---------------------------------------------------------------- interface control

    /** The interface MTU (SIOCGIFMTU). */
    public int mtu() throws TunException {
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

    /** Sets the interface MTU (SIOCSIFMTU; the TUN driver accepts 68..65535; needs CAP_NET_ADMIN). */
    public void setMtu(int mtu) throws TunException {
        enterOrThrow();
        try {
            synchronized (ifreq) {
                prepareIfreq();
                ifreq.setInt(Linux.IFREQ_UNION, mtu);
                LibC.INSTANCE.ioctl(controlSocket, new NativeLong(Linux.SIOCSIFMTU), ifreq);
            }
        } catch (LastErrorException e) {
            String hint = e.getErrorCode() == Linux.EINVAL ? " (the TUN driver accepts 68.." + MAX_PACKET_SIZE + ")" : "";
            throw new TunException("setting the MTU of TUN device " + name + " to " + mtu + " failed: "
                    + TunErrors.describe(e.getErrorCode()) + hint, e.getErrorCode());
        } finally {
            guard.exit();
        }
    }

    /** Whether the interface is administratively up (IFF_UP). */
    public boolean isUp() throws TunException {
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

    /** Sets the interface up, like {@code ip link set NAME up} (needs CAP_NET_ADMIN). */
    public void setUp() throws TunException {
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

    /** The offloads last accepted by {@link #trySetOffload} (none until then). */
    public Set<TunOffload> offloads() {
        return activeOffloads;
    }

    /**
     * Asks the kernel to hand over packets with the given offloads (TUNSETOFFLOAD); with TSO/USO it then passes
     * up to 64 KiB super-packets that the reader must segment using the virtio-net header. An empty set turns
     * offloads off.
     *
     * @return false if the kernel refused this combination (EINVAL), true if it is now in effect
     * @throws IllegalStateException unless opened with {@link TunOptions#withVnetHeader(boolean)}
     */
    public boolean trySetOffload(Set<TunOffload> offloads) throws TunException {
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

    /**
     * Sets the size of the header that precedes every packet (TUNSETVNETHDRSZ): 10 ({@code virtio_net_hdr},
     * the default) or 12 ({@code virtio_net_hdr_mrg_rxbuf}).
     */
    public void setVnetHeaderSize(int size) throws TunException {
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

    // ---------------------------------------------------------------- closing

    /**
     * Closes the device: readers blocked in {@link #read} return -1, later reads return -1, later writes and control
     * calls throw {@link TunClosedException}. Waits for calls already inside the kernel to return (they do not
     * block), then releases the descriptors. The interface disappears when its last queue is closed. Idempotent.
     */
    @Override
    public void close() {
        if (!guard.beginClose()) {
            return;
        }
        ByteBuffer one = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
        one.putLong(0, 1L);
        // Wakes every poll() on this device; the eventfd stays readable until it is closed.
        NativeIo.write(wakeFd, one, 8);
        guard.awaitNoneInFlight();
        closeQuietly(fd);
        closeQuietly(wakeFd);
        closeQuietly(controlSocket);
    }

    private static void closeQuietly(int fd) {
        if (fd >= 0) {
            LibC.INSTANCE.close(fd);
        }
    }

    @Override
    public String toString() {
        return "TunDevice[" + name + (isOpen() ? "" : ", closed") + "]";
    }
}
