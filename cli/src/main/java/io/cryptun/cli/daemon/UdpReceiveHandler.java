package io.cryptun.cli.daemon;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.function.BooleanSupplier;

/**
 * The receive path's entry, on the event loop thread: each datagram copied into one reused array
 * and handed to the {@link UdpTransport.Receiver} with its sender, the end of each read burst
 * reported. The socket's own warm-up datagrams ({@link UdpLoopbackWarmUp}) are recognised here and
 * never handed on (the device would count them as junk).
 */
final class UdpReceiveHandler extends SimpleChannelInboundHandler<DatagramPacket> {
    private final UdpTransport.Receiver receiver;
    private final byte[] buf = new byte[UdpTransport.MAX_DATAGRAM];
    /** Our own port, and the latch counted down for each of our datagrams back (event loop only). */
    private int primePort;
    private CountDownLatch primesBack = new CountDownLatch(0);
    /** Whether round trips are still to be made once the first primes are back, and how the next one is sent (event loop only). */
    private boolean roundTrips;
    private int roundTripsMade;
    private BooleanSupplier sendPrime;
    private boolean sendPrimeAfterBurst;
    private int bursts;
    /**
     * The last sender as Netty reported it and as we report it: datagrams come in runs from one
     * peer, and an IPv4 peer's mapped address would otherwise cost three objects and an address
     * lookup per datagram (event loop only).
     */
    private InetSocketAddress lastSender;
    private InetSocketAddress lastFrom;

    UdpReceiveHandler(UdpTransport.Receiver receiver) {
        super(true);
        this.receiver = receiver;
    }

    /** Event loop only: the warm-up's datagrams to expect back, and how to send the next round trip. */
    void expectPrimes(int port, CountDownLatch back, boolean roundTrips, BooleanSupplier sendPrime) {
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
            from = UdpTransport.normalize(sender);
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
                roundTrips = UdpLoopbackWarmUp.roundTripMade();
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
                && java.util.Arrays.equals(buf, 0, len, UdpLoopbackWarmUp.PRIME, 0, UdpLoopbackWarmUp.PRIME.length);
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

    /** Read bursts so far (event loop only; tests). */
    int bursts() {
        return bursts;
    }

    /** The warm-up's round trips that came back (event loop only; tests). */
    int roundTripsMade() {
        return roundTripsMade;
    }

    /** Own datagrams not yet back, the warm-up's round trips included (event loop only; tests). */
    int primesPending() {
        return (int) primesBack.getCount() + (roundTrips ? 1 : 0);
    }
}
