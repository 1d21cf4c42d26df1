package io.cryptun.cli.daemon;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A new socket's datagrams to itself over loopback, which take the first-use costs of its read path
 * before a peer's first handshake does.
 *
 * <p>A new socket's first datagram cost its event loop a few milliseconds, on the path of a peer's
 * first handshake (issue 14: profiled at a fresh daemon's first ping): Netty builds the channel's
 * recvmmsg/sendmmsg array (1,024 entries, in the interpreter) on its first multi-datagram read or
 * write, the read buffer is allocated, the receiver's thread-local buffers too. Two datagrams sent to
 * ourselves in one flush take those costs at bind; {@link UdpReceiveHandler} knows them on arrival
 * and does not hand them on. The socket is returned once they are back (a millisecond or two; at most
 * {@link #PRIME_WAIT_MILLIS}), so a `wg set listen-port ...` followed at once by traffic finds it
 * ready. Where loopback is down the send fails at once and only the first real datagram pays, as before.
 *
 * <p>Then, in the background, {@link #WARM_ROUND_TRIPS} more, one at a time: each sent with
 * {@link UdpTransport#send} (the direct send that handshake answers take) at the end of the read
 * burst that brought the last one back, so that each is one turn of the event loop (epoll, the ready
 * channel, one recvmmsg with a datagram, one without), as each message of a first handshake is. The
 * JIT compiles code that has run a few hundred times; without this the event loop's read path (Netty's
 * epoll loop, recvmmsg, the pipeline) was still interpreted at the first real datagrams, and each of
 * the four wake-ups on a first ping's path spent 150-340 us before reaching our code (traced:
 * benchmarks/README.md, eleventh session).
 */
final class UdpLoopbackWarmUp {
    /** What a socket sends itself: no WireGuard message (type 0 is none), 16 bytes. */
    static final byte[] PRIME = "\0\0\0\0cryptun-prime".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    static final int PRIMES = 2;
    private static final long PRIME_WAIT_MILLIS = 200;
    /**
     * Round trips after the first read: past the JIT's threshold for the event loop's per-wake-up
     * code with room to spare; ~20-40 ms of one core, once.
     */
    static final int WARM_ROUND_TRIPS = 500;
    /** The process's round trips still to make: the JIT's code serves every socket, so only the first sockets make them. */
    private static final AtomicInteger ROUND_TRIPS_LEFT = new AtomicInteger(WARM_ROUND_TRIPS);

    private UdpLoopbackWarmUp() {
    }

    /**
     * Sends the socket's first datagrams to itself and waits for them; the round trips, if the
     * process has any left, follow in the background.
     */
    static void primeFirstRead(UdpTransport transport, Channel channel, UdpTransport.Receiver receiver) {
        UdpReceiveHandler inbound = channel.pipeline().get(UdpReceiveHandler.class);
        // 127.0.0.1 (not ::1, which a namespace without IPv6 lacks): the dual-stack socket maps it
        InetSocketAddress self = new InetSocketAddress(loopback4(), transport.port());
        CountDownLatch back = new CountDownLatch(PRIMES);
        channel.eventLoop().execute(() -> {
            transport.prepareDirectSends();
            receiver.prepare();
            inbound.expectPrimes(transport.port(), back, ROUND_TRIPS_LEFT.get() > 0,
                    () -> transport.send(self, PRIME, 0, PRIME.length));
            for (int i = 0; i < PRIMES; i++) {
                // direct memory of their own: a heap buffer would be copied into the pooled allocator's,
                // whose first use on this thread takes a chunk (~4 MB of idle RSS measured)
                ByteBuffer prime = ByteBuffer.allocateDirect(PRIME.length).put(PRIME).flip();
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

    /** Counts one round trip made; true while the process has more to make. */
    static boolean roundTripMade() {
        return ROUND_TRIPS_LEFT.decrementAndGet() > 0;
    }

    /**
     * Sets the round trips the process has still to make: the next socket opened makes them (0: none;
     * {@link StartupWarmUp} after the start-up's collection).
     */
    static void roundTripsLeftInProcess(int n) {
        ROUND_TRIPS_LEFT.set(n);
    }

    /** The round trips the process has still to make (tests). */
    static int roundTripsLeftInProcess() {
        return Math.max(0, ROUND_TRIPS_LEFT.get());
    }

    private static InetAddress loopback4() {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
