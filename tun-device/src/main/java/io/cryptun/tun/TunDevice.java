package io.cryptun.tun;

import java.io.Closeable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Set;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
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

    private final String name;
    private final TunOptions options;
    private final int fd;
    private final int wakeFd;
    private final int controlSocket;
    private final InFlightGuard guard = new InFlightGuard();
    // Each path holds the descriptor, guard and address cache it uses, so a packet costs the device one call and
    // no lookup through it; the device alone opens the descriptors and closes them once the guard has drained.
    private final PacketReader reader;
    private final PacketWriter writer;
    private final TunInterfaceControl control;

    private TunDevice(String name, TunOptions options, int fd, int wakeFd, int controlSocket,
            Set<TunOffload> activeOffloads) {
        this.name = name;
        this.options = options;
        this.fd = fd;
        this.wakeFd = wakeFd;
        this.controlSocket = controlSocket;
        DirectAddresses addresses = new DirectAddresses();
        this.control = new TunInterfaceControl(name, options, fd, controlSocket, guard, activeOffloads);
        this.reader = new PacketReader(name, options, fd, wakeFd, guard, addresses, control);
        this.writer = new PacketWriter(name, options, fd, guard, addresses);
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
            controlSocket = TunInterfaceControl.openControlSocket(actualName);
            return new TunDevice(actualName, options, fd, wakeFd, controlSocket, Set.of());
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
            Set<TunOffload> active = options.vnetHeader() && !offloads.isEmpty()
                    ? Set.copyOf(java.util.EnumSet.copyOf(offloads)) : Set.of();
            pair[i] = new TunDevice(label + (i == 0 ? " (device)" : " (kernel)"), options, sv[i], wake[i], -1, active);
        }
        return pair;
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
        return reader.readPacket(dst, true);
    }

    /**
     * Reads one packet if one is ready, without waiting.
     *
     * @return the packet length, {@code 0} if no packet is ready, or {@code -1} if the device is closed
     */
    public int tryRead(ByteBuffer dst) throws TunException {
        return reader.readPacket(dst, false);
    }

    /** {@link #read(ByteBuffer)} into a byte array; returns the packet length or {@code -1} when closed. */
    public int read(byte[] buf, int off, int len) throws TunException {
        return reader.read(buf, off, len);
    }

    /**
     * Waits for the first packet, then takes as many more as are ready without waiting, up to {@code bufs.length}:
     * one wakeup for a burst. Packet {@code i} is read at {@code bufs[i]}'s position (which advances) and its length
     * stored in {@code lengths[i]}.
     *
     * @return the number of packets read (at least 1), or {@code -1} if the device is (or gets) closed before any
     */
    public int readBatch(ByteBuffer[] bufs, int[] lengths) throws TunException {
        return reader.readBatch(bufs, lengths);
    }

    /**
     * Waits until a packet can be read, the timeout passes, or the device is closed.
     *
     * @param timeoutMillis negative waits without limit, 0 only checks
     * @return true if a read will find a packet (or an error to report); false on timeout or when closed
     */
    public boolean awaitReadable(long timeoutMillis) throws TunException {
        return reader.awaitReadable(timeoutMillis);
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
        return writer.write(src);
    }

    /** {@link #write(ByteBuffer)} from a byte array. */
    public int write(byte[] buf, int off, int len) throws TunException {
        return writer.write(buf, off, len);
    }

    /**
     * Takes the calling thread's first-write costs now: its scratch buffer (64 KiB of direct memory
     * the JDK zeroes) and the buffer's native address. A thread that will write packets (the UDP
     * event loop) calls it at start, so the first packet it delivers does not pay them.
     */
    public void prepareThread() {
        writer.prepareThread();
    }

    // ---------------------------------------------------------------- interface control

    /** The interface MTU (SIOCGIFMTU). */
    public int mtu() throws TunException {
        return control.mtu();
    }

    /** Sets the interface MTU (SIOCSIFMTU; the TUN driver accepts 68..65535; needs CAP_NET_ADMIN). */
    public void setMtu(int mtu) throws TunException {
        control.setMtu(mtu);
    }

    /** Whether the interface is administratively up (IFF_UP). */
    public boolean isUp() throws TunException {
        return control.isUp();
    }

    /** Sets the interface up, like {@code ip link set NAME up} (needs CAP_NET_ADMIN). */
    public void setUp() throws TunException {
        control.setUp();
    }

    // ---------------------------------------------------------------- offloads (vnet header devices)

    /** The offloads last accepted by {@link #trySetOffload} (none until then). */
    public Set<TunOffload> offloads() {
        return control.offloads();
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
        return control.trySetOffload(offloads);
    }

    /**
     * Sets the size of the header that precedes every packet (TUNSETVNETHDRSZ): 10 ({@code virtio_net_hdr},
     * the default) or 12 ({@code virtio_net_hdr_mrg_rxbuf}).
     */
    public void setVnetHeaderSize(int size) throws TunException {
        control.setVnetHeaderSize(size);
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
