package io.cryptun.cli.daemon;

import io.cryptun.noise.allowedips.IpPrefix;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.SegmentedDatagramPacket;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.unix.Socket;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The UDP side of the daemon: one dual-stack socket ([::]:port, IPv4 arriving as mapped
 * addresses) on Netty's native epoll transport, read with recvmmsg on one event loop thread.
 * Datagrams are handed to the receiver on that thread in a reused array; sends from other
 * threads are batched into one event-loop task each, so a burst costs one wake-up and one
 * sendmmsg rather than one per packet.
 */
public final class UdpTransport implements AutoCloseable {
    static final int MAX_DATAGRAM = 65535;
    /**
     * Datagrams read per wake-up at most (Netty counts datagrams, not calls) before the event loop
     * runs its other tasks: eight recvmmsg calls, about a millisecond of a flood's work.
     */
    private static final int DATAGRAMS_PER_WAKE_UP = 256;
    /**
     * Datagrams per recvmmsg call: each needs a slot of MAX_DATAGRAM bytes in the read buffer (see
     * ReceiveBuffers: memory that is not zeroed, so only the pages datagrams land in are resident).
     */
    private static final int DATAGRAMS_PER_READ = 32;
    private static final int SOCKET_BUFFER = 4 << 20;
    /**
     * The receive buffer, forced past net.core.rmem_max where we may (CAP_NET_ADMIN, which the
     * daemon has for its TUN device anyway). A flood of small datagrams fills a buffer by count, at
     * about 1 KiB of kernel memory each; 16 MiB (32 MiB once the kernel doubles it) hold about
     * 30,000, a few hundred milliseconds of a one-host flood: the reading thread may be off its core
     * for that long on a busy host without losing the legitimate initiation among the flood's
     * datagrams (issue 11). It is kernel memory used only while datagrams wait.
     */
    private static final int FORCED_RECEIVE_BUFFER = 16 << 20;
    private static final ThreadLocal<ByteBuffer> SEND_BUFFER =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(MAX_DATAGRAM));

    private final EventLoopGroup group;
    private final Channel channel;
    private final int port;
    /** UDP segmentation offload for runs of equal-size datagrams; turned off for good after a refusal. */
    private volatile boolean gso = SegmentedDatagramPacket.isSupported() && !"off".equalsIgnoreCase(System.getenv("CRYPTUN_UDP_GSO"));
    /** The fallback socket of a namespace without IPv6. */
    private final boolean ipv4Only;
    /** The socket itself, for sends straight from the calling thread (no hand-off to the event loop). */
    private final Socket socket;
    private final UdpRunMemory runMemory = new UdpRunMemory(UdpSendBatch.GSO_MAX_BYTES);

    /** Receives each datagram on the event loop thread; the array is reused after the call returns. */
    public interface Receiver {
        void onDatagram(byte[] buf, int off, int len, InetSocketAddress from);

        /** The end of one read burst (one recvmmsg): the moment to flush what the datagrams produced. */
        default void onBurstEnd() {
        }

        /** Once, on the event loop thread, before any datagram: the moment to take first-use costs. */
        default void prepare() {
        }
    }

    /** A batch made with the socket, for the first {@link #newBatch()}. */
    private final AtomicReference<UdpSendBatch> firstBatch = new AtomicReference<>();

    private UdpTransport(EventLoopGroup group, Channel channel) {
        this.group = group;
        this.channel = channel;
        this.socket = (Socket) ((EpollDatagramChannel) channel).fd();
        InetSocketAddress local = (InetSocketAddress) channel.localAddress();
        this.port = local.getPort();
        this.ipv4Only = local.getAddress() instanceof java.net.Inet4Address;
    }

    /**
     * Binds the listen port (0 picks a free one). Throws {@link BindException} with the port in the
     * message when it is taken.
     */
    public static UdpTransport open(int port, Receiver receiver, ThreadFactory threads) throws BindException {
        if (!Epoll.isAvailable()) {
            throw new IllegalStateException("Netty's native epoll transport is unavailable: " + Epoll.unavailabilityCause());
        }
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, threads, EpollIoHandler.newFactory());
        try {
            Channel ch = bind(group, port, receiver, true);
            UdpTransport t = new UdpTransport(group, ch);
            UdpLoopbackWarmUp.primeFirstRead(t, ch, receiver);
            // the TUN reader's batch, made now, for the daemon's first socket and for each one `wg set
            // listen-port` opens: the first packet after it (a handshake initiation) otherwise waits
            // while the batch's 64 KB of direct memory is reserved, zeroed and faulted in
            t.firstBatch.set(new UdpSendBatch(t, ch));
            return t;
        } catch (BindException e) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw e;
        } catch (Exception e) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw new IllegalStateException("cannot open UDP port " + port + ": " + e.getMessage(), e);
        }
    }

    /**
     * One dual-stack IPv6 socket ([::]:port) where the kernel has IPv6; an IPv4-only socket
     * (0.0.0.0:port) where it has not.
     */
    private static Channel bind(EventLoopGroup group, int port, Receiver receiver, boolean ipv6) throws Exception {
        Bootstrap b = new Bootstrap()
                    .group(group)
                    .channelFactory(() -> new EpollDatagramChannel(ipv6 ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET))
                    .option(ChannelOption.SO_RCVBUF, SOCKET_BUFFER)
                    .option(ChannelOption.SO_SNDBUF, SOCKET_BUFFER)
                    .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, MAX_DATAGRAM)
                    .option(ChannelOption.RCVBUF_ALLOCATOR, new ReceiveBuffers(MAX_DATAGRAM, DATAGRAMS_PER_READ, DATAGRAMS_PER_WAKE_UP))
                    .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(1 << 20, 4 << 20))
                    .handler(new UdpReceiveHandler(receiver));
        try {
            InetAddress any = ipv6 ? wildcardV6() : InetAddress.getByAddress(new byte[4]);
            Channel ch = b.bind(new InetSocketAddress(any, port)).sync().channel();
            SocketOptions.forceReceiveBuffer(((EpollDatagramChannel) ch).fd().intValue(), FORCED_RECEIVE_BUFFER);
            return ch;
        } catch (Exception e) {
            String msg = String.valueOf(e.getMessage());
            if (e instanceof BindException || e.getCause() instanceof BindException || msg.contains("Address already in use")) {
                throw new BindException("UDP port " + port + " is already in use");
            }
            if (ipv6 && (msg.contains("Address family not supported") || msg.contains("(-97)"))) {
                return bind(group, port, receiver, false);
            }
            throw e;
        }
    }

    private static InetAddress wildcardV6() {
        try {
            return InetAddress.getByName("::");
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** The read bursts (one each turn of the event loop that read) this socket has had (tests). */
    int readBursts() throws InterruptedException, ExecutionException {
        return onEventLoop(UdpReceiveHandler::bursts);
    }

    /** The warm-up's round trips that came back to this socket (tests). */
    int warmUpRoundTrips() throws InterruptedException, ExecutionException {
        return onEventLoop(UdpReceiveHandler::roundTripsMade);
    }

    /** Own datagrams not yet back, the warm-up's round trips included (tests: zero once the read path is warm). */
    int warmUpPending() throws InterruptedException, ExecutionException {
        return onEventLoop(UdpReceiveHandler::primesPending);
    }

    private int onEventLoop(java.util.function.ToIntFunction<UdpReceiveHandler> read) throws InterruptedException, ExecutionException {
        UdpReceiveHandler inbound = channel.pipeline().get(UdpReceiveHandler.class);
        return channel.eventLoop().submit(() -> read.applyAsInt(inbound)).get();
    }

    public int port() {
        return port;
    }

    /** The socket's file descriptor, for options Netty does not expose (SO_MARK). */
    public int fd() {
        return ((EpollDatagramChannel) channel).fd().intValue();
    }

    public boolean inEventLoop() {
        return channel.eventLoop().inEventLoop();
    }

    /**
     * Sends one datagram now, from the calling thread (a sendto on the socket, so a lone packet
     * does not wait for the event loop to wake up). False when the kernel refused it (no route,
     * say); a full socket buffer falls back to the event loop's queue.
     */
    public boolean send(InetSocketAddress to, byte[] buf, int off, int len) {
        if (!channel.isActive()) {
            return false;
        }
        ByteBuffer b = SEND_BUFFER.get();
        b.clear();
        b.put(buf, off, len);
        b.flip();
        try {
            if (socket.sendTo(b, 0, len, to.getAddress(), to.getPort()) > 0) {
                return true;
            }
        } catch (IOException e) {
            return false;
        }
        // EAGAIN: the socket buffer is full; queue it behind what the event loop is sending
        if (!channel.isWritable()) {
            return false;
        }
        ByteBuf bb = channel.alloc().directBuffer(len);
        bb.writeBytes(buf, off, len);
        channel.writeAndFlush(new DatagramPacket(bb, unmapped(to)), channel.voidPromise());
        return true;
    }

    /** Takes this thread's buffer for direct sends now (the event loop's: handshake responses, keepalives). */
    void prepareDirectSends() {
        SEND_BUFFER.get();
    }

    /** Sends a batch's datagram from the calling thread; false when the kernel did not take it. */
    boolean sendDirect(ByteBuffer b, InetSocketAddress to) {
        try {
            return socket.sendTo(b, b.position(), b.limit(), to.getAddress(), to.getPort()) > 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether runs of equal-size datagrams go as one segmented send. */
    boolean gso() {
        return gso;
    }

    /** A segmented send was refused (some paths do: EIO without checksum offload, EMSGSIZE on a small MTU). */
    void gsoRefused() {
        gso = false;
    }

    UdpRunMemory runMemory() {
        return runMemory;
    }

    /** Run memory made so far (tests: it is reused, not made again). */
    int runMemoryMade() {
        return runMemory.made();
    }

    /**
     * The buffer allocator's first use on a thread costs 10-20 ms (its per-thread state, chunks and
     * classes): taken here, at start, on the calling thread, instead of on the first packet's path.
     */
    public void warmAllocator() {
        // the sizes a burst's first run asks for (a batch's runs start at 8 segments)
        for (int len : new int[] {8 * 148, 8 * 1452}) {
            channel.alloc().directBuffer(len).release();
        }
    }

    public UdpSendBatch newBatch() {
        UdpSendBatch b = firstBatch.getAndSet(null);
        return b != null ? b : new UdpSendBatch(this, channel);
    }

    /**
     * An IPv4 endpoint stays IPv4: Netty maps it onto the IPv6 socket itself. An IPv4-mapped IPv6
     * endpoint (wg accepts [::ffff:a.b.c.d]:port) goes as IPv4 on an IPv4-only socket.
     */
    private InetSocketAddress unmapped(InetSocketAddress to) {
        if (ipv4Only && to.getAddress() instanceof java.net.Inet6Address) {
            InetSocketAddress plain = normalize(to);
            if (plain.getAddress() instanceof java.net.Inet4Address) {
                return plain;
            }
        }
        return to;
    }

    @Override
    public void close() {
        try {
            channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
        }
    }

    /** IPv4 peers arrive on the dual-stack socket as ::ffff:a.b.c.d; report them as IPv4, as wg does. */
    static InetSocketAddress normalize(InetSocketAddress a) {
        InetAddress ip = a.getAddress();
        if (ip == null) {
            return a;
        }
        byte[] b = ip.getAddress();
        if (IpPrefix.isV4Mapped(b)) {
            try {
                return new InetSocketAddress(InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]}), a.getPort());
            } catch (UnknownHostException e) {
                return a;
            }
        }
        return a;
    }
}
