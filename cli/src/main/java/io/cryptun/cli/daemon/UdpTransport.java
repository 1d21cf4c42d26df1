package io.cryptun.cli.daemon;

import io.cryptun.noise.allowedips.IpPrefix;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The UDP side of the daemon: one dual-stack socket ([::]:port, IPv4 arriving as mapped
 * addresses) on Netty's native epoll transport, read with recvmmsg on one event loop thread.
 * Datagrams are handed to the receiver on that thread in a reused array; sends from other
 * threads are batched into one event-loop task each, so a burst costs one wake-up and one
 * sendmmsg rather than one per packet.
 */
public final class UdpTransport implements AutoCloseable {
    private static final int MAX_DATAGRAM = 65535;
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
    private static final int GSO_MAX_SEGMENTS = 64;
    private static final int GSO_MAX_BYTES = 65000;
    private static final long PRIME_WAIT_MILLIS = 200;
    /**
     * Round trips to ourselves after the first read (see {@link #primeFirstRead}): past the JIT's
     * threshold for the event loop's per-wake-up code with room to spare; ~20-40 ms of one core, once.
     */
    static final int WARM_ROUND_TRIPS = 500;
    /** The process's round trips still to make: the JIT's code serves every socket, so only the first sockets make them. */
    private static final java.util.concurrent.atomic.AtomicInteger ROUND_TRIPS_LEFT = new java.util.concurrent.atomic.AtomicInteger(WARM_ROUND_TRIPS);
    /**
     * Memory for segmented sends kept for the next ones (see {@link #takeRunMemory}); beyond this many
     * in flight at once, a run takes its memory from the buffer allocator as before.
     */
    private static final int RUN_MEMORY_KEPT = 8;
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
    /** Run memory back from the event loop, ready for the next run; see {@link #takeRunMemory}. */
    private final ArrayBlockingQueue<ByteBuffer> spareRunMemory = new ArrayBlockingQueue<>(RUN_MEMORY_KEPT);
    private final AtomicInteger runMemoryMade = new AtomicInteger();

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
    private final java.util.concurrent.atomic.AtomicReference<Batch> firstBatch =
            new java.util.concurrent.atomic.AtomicReference<>();

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
            t.primeFirstRead(receiver);
            // the TUN reader's batch, made now, for the daemon's first socket and for each one `wg set
            // listen-port` opens: the first packet after it (a handshake initiation) otherwise waits
            // while the batch's 64 KB of direct memory is reserved, zeroed and faulted in
            t.firstBatch.set(t.new Batch());
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
                    .handler(new Inbound(receiver));
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

    private static InetAddress loopback4() {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static InetAddress wildcardV6() {
        try {
            return InetAddress.getByName("::");
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * A new socket's first datagram cost its event loop a few milliseconds, on the path of a peer's
     * first handshake (issue 14: profiled at a fresh daemon's first ping): Netty builds the channel's
     * recvmmsg/sendmmsg array (1,024 entries, in the interpreter) on its first multi-datagram read
     * or write, the read buffer is allocated, the receiver's thread-local buffers too. Two datagrams
     * sent to ourselves over loopback in one flush take those costs now; {@link Inbound} knows them
     * on arrival and does not hand them on (the device would count them as junk). The socket is
     * returned once they are back (a millisecond or two; at most {@link #PRIME_WAIT_MILLIS}), so a
     * `wg set listen-port ...` followed at once by traffic finds it ready. Where loopback is down the
     * send fails at once and only the first real datagram pays, as before.
     *
     * <p>Then, in the background, {@link #WARM_ROUND_TRIPS} more, one at a time: each sent with
     * {@link #send} (the direct send that handshake answers take) at the end of the read burst that
     * brought the last one back, so that each is one turn of the event loop (epoll, the ready channel,
     * one recvmmsg with a datagram, one without), as each message of a first handshake is.
     * The JIT compiles code that has run a few hundred times; without this the event loop's read path
     * (Netty's epoll loop, recvmmsg, the pipeline) was still interpreted at the first real datagrams, and
     * each of the four wake-ups on a first ping's path spent 150-340 us before reaching our code
     * (traced: benchmarks/README.md, eleventh session).
     */
    private void primeFirstRead(Receiver receiver) {
        Inbound inbound = channel.pipeline().get(Inbound.class);
        // 127.0.0.1 (not ::1, which a namespace without IPv6 lacks): the dual-stack socket maps it
        InetSocketAddress self = new InetSocketAddress(loopback4(), port);
        CountDownLatch back = new CountDownLatch(Inbound.PRIMES);
        channel.eventLoop().execute(() -> {
            SEND_BUFFER.get(); // the buffer of this thread's direct sends: handshake responses, keepalives
            receiver.prepare();
            inbound.expectPrimes(port, back, ROUND_TRIPS_LEFT.get() > 0,
                    () -> send(self, Inbound.PRIME, 0, Inbound.PRIME.length));
            for (int i = 0; i < Inbound.PRIMES; i++) {
                // direct memory of their own: a heap buffer would be copied into the pooled allocator's,
                // whose first use on this thread takes a chunk (~4 MB of idle RSS measured)
                ByteBuffer prime = ByteBuffer.allocateDirect(Inbound.PRIME.length).put(Inbound.PRIME).flip();
                channel.write(new DatagramPacket(Unpooled.wrappedBuffer(prime), self))
                        .addListener(f -> {
                            if (!f.isSuccess()) {
                                inbound.primeLost();
                            }
                        });
            }
            channel.flush();
        });
        try {
            back.await(PRIME_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Sets the round trips the process has still to make: the next socket opened makes them (0: none;
     * {@link StartupWarmUp} after the start-up's collection).
     */
    static void roundTripsLeftInProcess(int n) {
        ROUND_TRIPS_LEFT.set(n);
    }

    /** The read bursts (one each turn of the event loop that read) this socket has had (tests). */
    int readBursts() throws InterruptedException, java.util.concurrent.ExecutionException {
        Inbound inbound = channel.pipeline().get(Inbound.class);
        return channel.eventLoop().submit(() -> inbound.bursts).get();
    }

    /** The round trips the process has still to make (tests). */
    static int roundTripsLeftInProcess() {
        return Math.max(0, ROUND_TRIPS_LEFT.get());
    }

    /** The warm-up's round trips that came back to this socket (tests). */
    int warmUpRoundTrips() throws InterruptedException, java.util.concurrent.ExecutionException {
        Inbound inbound = channel.pipeline().get(Inbound.class);
        return channel.eventLoop().submit(() -> inbound.roundTripsMade).get();
    }

    /** Own datagrams not yet back, the warm-up's round trips included (tests: zero once the read path is warm). */
    int warmUpPending() throws InterruptedException, java.util.concurrent.ExecutionException {
        Inbound inbound = channel.pipeline().get(Inbound.class);
        return channel.eventLoop().submit(() -> (int) inbound.primesBack.getCount() + (inbound.roundTrips ? 1 : 0)).get();
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

    /**
     * Memory for one segmented send, GSO_MAX_BYTES large, or null when RUN_MEMORY_KEPT of them are in
     * flight already. The buffer allocator cannot serve runs this large without a cost per run: with a
     * maximum heap under 512 MB (ours is 256) Netty's adaptive allocator pools nothing above 16,896
     * bytes and falls back to a fresh direct buffer, zeroed and freed again, for every run that grows
     * past that (each TSO super-packet's, after two copies as it grew): 2% of the sending daemon's
     * CPU in a TCP stream, measured. This memory is made once, zeroed once, and comes back when the
     * event loop has sent it.
     */
    ByteBuffer takeRunMemory() {
        ByteBuffer m = spareRunMemory.poll();
        if (m == null) {
            int made = runMemoryMade.get();
            if (made < RUN_MEMORY_KEPT && runMemoryMade.compareAndSet(made, made + 1)) {
                m = ByteBuffer.allocateDirect(GSO_MAX_BYTES);
            }
        }
        return m;
    }

    private void giveBackRunMemory(ByteBuffer m) {
        m.clear();
        spareRunMemory.offer(m);
    }

    /** Run memory made so far (tests: it is reused, not made again). */
    int runMemoryMade() {
        return runMemoryMade.get();
    }

    /**
     * Collects datagrams from one thread and hands them to the event loop in one task. Consecutive
     * datagrams of one size to one endpoint (the segments of a TCP burst, sealed) travel as one UDP
     * GSO send: the kernel cuts them apart as late as it can, which on a veth or a NIC with
     * segmentation offload saves most of the per-packet cost.
     */
    public final class Batch {
        private List<DatagramPacket> pending = new ArrayList<>();
        /** The run memory of each pending datagram ({@link #takeRunMemory}), null where the allocator's. */
        private List<ByteBuffer> pendingMemory = new ArrayList<>();
        /**
         * A datagram that is alone so far waits here, in memory the batch owns, until a second one
         * joins it or the burst ends: interactive traffic (a ping, a handshake message) then goes out
         * with one sendto and no buffer from the allocator at all.
         */
        private final ByteBuffer lone = ByteBuffer.allocateDirect(MAX_DATAGRAM);
        private InetSocketAddress loneTo;
        private ByteBuf run;
        /** The current run's memory from {@link #takeRunMemory}, null where the allocator's. */
        private ByteBuffer runMemory;
        private InetSocketAddress runTo;
        private int runSegment;
        private int runCount;
        private boolean runClosed;

        /** Queues a datagram; false when the socket is backed up (the packet is dropped). */
        public boolean add(InetSocketAddress to, byte[] buf, int off, int len) {
            if (!channel.isWritable()) {
                return false;
            }
            if (loneTo == null && run == null && pending.isEmpty()) {
                lone.clear();
                lone.put(buf, off, len).flip();
                loneTo = to;
                return true;
            }
            if (loneTo != null) {
                startRun(loneTo, lone);
                loneTo = null;
            }
            if (run != null && gso && !runClosed && len <= runSegment && runCount < GSO_MAX_SEGMENTS
                    && run.readableBytes() + len <= GSO_MAX_BYTES && to.equals(runTo)) {
                run.writeBytes(buf, off, len);
                runCount++;
                // a shorter datagram can only end a run
                runClosed = len < runSegment;
                return true;
            }
            startRun(to, ByteBuffer.wrap(buf, off, len));
            return true;
        }

        /** Closes the current run and starts the next with {@code first}'s bytes. */
        private void startRun(InetSocketAddress to, ByteBuffer first) {
            closeRun();
            int len = first.remaining();
            runMemory = gso && len <= GSO_MAX_BYTES ? takeRunMemory() : null;
            run = runMemory != null ? Unpooled.wrappedBuffer(runMemory).clear()
                    : channel.alloc().directBuffer(gso ? Math.min(GSO_MAX_BYTES, len * 8) : len, gso ? Math.max(len, GSO_MAX_BYTES) : len);
            run.writeBytes(first);
            runTo = to;
            runSegment = len;
            runCount = 1;
            runClosed = false;
        }

        private void closeRun() {
            if (run == null) {
                return;
            }
            pending.add(runCount > 1 ? new SegmentedDatagramPacket(run, runSegment, runTo) : new DatagramPacket(run, runTo));
            pendingMemory.add(runMemory);
            run = null;
            runMemory = null;
        }

        public void flush() {
            if (loneTo != null) {
                InetSocketAddress to = loneTo;
                loneTo = null;
                if (sendDirect(lone, to)) {
                    return;
                }
                // refused for now (a full socket buffer): queued behind what the event loop sends
                startRun(to, lone);
            }
            closeRun();
            if (pending.isEmpty()) {
                return;
            }
            List<DatagramPacket> batch = pending;
            List<ByteBuffer> memory = pendingMemory;
            pending = new ArrayList<>(Math.max(8, batch.size()));
            pendingMemory = new ArrayList<>(Math.max(8, batch.size()));
            if (channel.eventLoop().inEventLoop()) {
                writeAll(batch, memory);
            } else {
                channel.eventLoop().execute(() -> writeAll(batch, memory));
            }
        }

        private void writeAll(List<DatagramPacket> batch, List<ByteBuffer> memory) {
            for (int i = 0; i < batch.size(); i++) {
                DatagramPacket p = batch.get(i);
                ByteBuffer m = memory.get(i);
                boolean segmented = p instanceof SegmentedDatagramPacket;
                if (segmented || m != null) {
                    // done (sent or failed) means released: the memory can take the next run
                    channel.write(p).addListener(f -> {
                        if (m != null) {
                            giveBackRunMemory(m);
                        }
                        if (segmented && !f.isSuccess() && gso) {
                            // some paths refuse segmented sends (EIO without checksum offload, EMSGSIZE on
                            // a small MTU); from then on every datagram goes on its own
                            gso = false;
                        }
                    });
                } else {
                    channel.write(p, channel.voidPromise());
                }
            }
            channel.flush();
        }
    }

    private boolean sendDirect(ByteBuffer b, InetSocketAddress to) {
        try {
            return socket.sendTo(b, b.position(), b.limit(), to.getAddress(), to.getPort()) > 0;
        } catch (IOException e) {
            return false;
        }
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


    public Batch newBatch() {
        Batch b = firstBatch.getAndSet(null);
        return b != null ? b : new Batch();
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

    private static final class Inbound extends SimpleChannelInboundHandler<DatagramPacket> {
        /** What {@link #primeFirstRead} sends itself: no WireGuard message (type 0 is none), 16 bytes. */
        static final byte[] PRIME = "\0\0\0\0cryptun-prime".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        static final int PRIMES = 2;
        private final Receiver receiver;
        private final byte[] buf = new byte[MAX_DATAGRAM];
        /** Our own port, and the latch counted down for each of our datagrams back (event loop only). */
        private int primePort;
        private CountDownLatch primesBack = new CountDownLatch(0);
        /** Whether round trips are still to be made once the first primes are back, and how the next one is sent (event loop only). */
        private boolean roundTrips;
        private int roundTripsMade;
        private java.util.function.BooleanSupplier sendPrime;
        private boolean sendPrimeAfterBurst;
        private int bursts;
        /**
         * The last sender as Netty reported it and as we report it: datagrams come in runs from one
         * peer, and an IPv4 peer's mapped address would otherwise cost three objects and an address
         * lookup per datagram (event loop only).
         */
        private InetSocketAddress lastSender;
        private InetSocketAddress lastFrom;

        Inbound(Receiver receiver) {
            super(true);
            this.receiver = receiver;
        }

        void expectPrimes(int port, CountDownLatch back, boolean roundTrips, java.util.function.BooleanSupplier sendPrime) {
            primePort = port;
            primesBack = back;
            this.roundTrips = roundTrips;
            this.sendPrime = sendPrime;
        }

        /** A send that failed (loopback down, say): nothing will come back for it. */
        void primeLost() {
            primesBack.countDown();
            roundTrips = false;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            ByteBuf content = packet.content();
            int len = content.readableBytes();
            content.getBytes(content.readerIndex(), buf, 0, len);
            InetSocketAddress sender = packet.sender();
            InetSocketAddress from;
            if (sender.equals(lastSender)) {
                from = lastFrom;
            } else {
                from = normalize(sender);
                lastSender = sender;
                lastFrom = from;
            }
            if ((roundTrips || primesBack.getCount() > 0) && isPrime(from, len)) {
                if (primesBack.getCount() > 0) {
                    primesBack.countDown();
                    if (primesBack.getCount() > 0) {
                        return;
                    }
                } else {
                    roundTripsMade++;
                    roundTrips = ROUND_TRIPS_LEFT.decrementAndGet() > 0;
                }
                // the next round trip when this read burst ends: sent now, it would be back before
                // the burst's next recvmmsg, and all of them would be one wake-up's read
                sendPrimeAfterBurst = roundTrips;
                return;
            }
            receiver.onDatagram(buf, 0, len, from);
        }

        private boolean isPrime(InetSocketAddress from, int len) {
            return from.getPort() == primePort && from.getAddress().isLoopbackAddress()
                    && java.util.Arrays.equals(buf, 0, len, PRIME, 0, PRIME.length);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            bursts++;
            receiver.onBurstEnd();
            if (sendPrimeAfterBurst) {
                sendPrimeAfterBurst = false;
                // as a handshake answer leaves: a direct send from this thread
                if (!sendPrime.getAsBoolean()) {
                    roundTrips = false; // refused (loopback went down): the warm-up ends here
                }
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // a failed receive (e.g. ICMP port unreachable reported as an error) is not fatal
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
