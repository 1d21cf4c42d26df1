package io.cryptun.cli.daemon;

import io.cryptun.cli.process.Log;
import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.noise.crypto.Keys;
import io.cryptun.noise.crypto.X25519Keys;
import io.cryptun.noise.device.Device;
import io.cryptun.noise.device.Peer;
import io.cryptun.noise.device.SamplePackets;
import io.cryptun.tun.TunDevice;
import io.cryptun.tun.TunException;
import io.cryptun.tun.TunOffload;
import io.cryptun.tun.TunOptions;
import io.cryptun.tun.offload.GsoSplitException;
import io.cryptun.tun.offload.GsoSplitter;
import io.cryptun.tun.offload.SuperPackets;
import io.cryptun.tun.offload.VirtioNetHeader;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.EnumSet;

/**
 * The start-up warm-up's end-to-end part: two throwaway {@link Daemon}s, each on one end of a
 * {@link TunDevice#socketPair socket pair} that stands in for its TUN device, exchange packets over
 * real UDP sockets on loopback. Everything a packet meets in an interface daemon runs: the TUN
 * reader's batch read, segmentation and sealing, the sends (one datagram alone, a batch, a segmented
 * batch), the event loop's receive, opening, coalescing and the TUN write, and the handshake between
 * them; the same classes and call sites, so the JIT compiles what the first real packets will run.
 *
 * <p>Why: the in-memory warm-up ({@link DeviceWarmUp}) reaches the protocol core but not these IO
 * shells, and with C2 alone a method is compiled only after 10,000 calls. Measured on a cold pair of
 * daemons (benchmarks/README.md, cold start): the first pings ran at 1.4-1.8 ms each for seconds,
 * 0.6 ms (wireguard-go's) once 20,000 packets had passed. With C1 (which compiles after a few hundred
 * calls) a short run is enough: what it buys is that the first real packets no longer run these
 * paths for the first time in the process ({@link StartupWarmUp#DEFAULT_PAIR_PACKETS}); {@code cryptun
 * train} runs the same, so the cache holds their classes linked and their profiles.
 *
 * <p>Nothing leaves the process but datagrams between two loopback ports. Where loopback is down
 * (a fresh namespace) the start-up does not run it ({@link StartupWarmUp#loopbackUp()}); should the
 * first exchange find no way through all the same, it times out and the warm-up ends there.
 */
final class PairWarmUp {
    /** Inner addresses of the two sides (RFC 5737 and ULA labels: nothing is routed to them). */
    private static final byte[] INNER_A = {(byte) 192, 0, 2, 1};
    private static final byte[] INNER_B = {(byte) 192, 0, 2, 2};
    private static final byte[] INNER6_A = {(byte) 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    private static final byte[] INNER6_B = {(byte) 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    /** Packets written per burst, as a TUN device hands over what is ready. */
    private static final int BURST = 16;
    /** A TCP super-packet (44 segments of 1,380 bytes, as TSO hands them over) in every this many bursts. */
    private static final int TCP_EVERY = 8;
    private static final int MSS = 1380;
    private static final int SEGMENTS = 44;
    /** How long a burst may take to come out on the other side; the first includes the handshake. */
    private static final long FIRST_WAIT_MILLIS = 1000;
    private static final long BURST_WAIT_MILLIS = 50;
    /** Bursts in a row that deliver nothing before the run gives up. */
    private static final int MAX_EMPTY_BURSTS = 3;

    /** What a run did, for the test that keeps this honest. */
    record Result(long packetsWritten, long packetsDelivered, long readsDelivered) {
    }

    private PairWarmUp() {
    }

    /**
     * Writes about {@code packets} packets into side A's device (ICMP, UDP small and MTU-sized,
     * IPv6, TCP super-packets) and reads them back from side B's, burst by burst.
     *
     * @throws IOException where the pair cannot be made, or a daemon cannot start
     */
    static Result run(int packets, String cipherBackend) throws IOException {
        TunOptions options = TunOptions.defaults().withVnetHeader(true);
        EnumSet<TunOffload> offloads = EnumSet.of(TunOffload.CSUM, TunOffload.TSO4, TunOffload.TSO6,
                TunOffload.USO4, TunOffload.USO6);
        SecureRandom random = new SecureRandom();
        byte[] keyA = X25519Keys.generatePrivate(random);
        byte[] keyB = X25519Keys.generatePrivate(random);
        TunDevice[] tunA = null;
        TunDevice[] tunB = null;
        Daemon a = null;
        Daemon b = null;
        Log silent = new Log(null, "warm-up");
        try {
            tunA = TunDevice.socketPair("warm-up A", options, offloads);
            tunB = TunDevice.socketPair("warm-up B", options, offloads);
            a = Daemon.startForWarmUp(tunA[0], silent, cipherBackend);
            b = Daemon.startForWarmUp(tunB[0], silent, cipherBackend);
            connect(a, keyA, keyB, b.listenPort(), INNER_B, INNER6_B);
            connect(b, keyB, keyA, a.listenPort(), INNER_A, INNER6_A);
            return exchange(packets, tunA[1], tunB[1]);
        } finally {
            if (a != null) {
                a.close();
            }
            if (b != null) {
                b.close();
            }
            for (TunDevice[] pair : new TunDevice[][] {tunA, tunB}) {
                if (pair != null) {
                    pair[0].close();
                    pair[1].close();
                }
            }
            Keys.zero(keyA);
            Keys.zero(keyB);
        }
    }

    private static void connect(Daemon side, byte[] key, byte[] otherKey, int otherPort, byte[] otherInner,
            byte[] otherInner6) {
        Device device = side.device();
        device.setPrivateKey(key);
        Peer p = device.addPeer(X25519Keys.publicFromPrivate(otherKey));
        p.setEndpoint(new InetSocketAddress(InetAddress.getLoopbackAddress(), otherPort));
        device.allowedIps().insert(IpPrefix.of(otherInner, 32), p);
        device.allowedIps().insert(IpPrefix.of(otherInner6, 128), p);
        // a stand-in device has no link state to read: up, as an interface carrying traffic is
        device.setUp(true);
    }

    /** Writes the packets into {@code kernelA}, burst by burst, and counts what comes out of {@code kernelB}. */
    static Result exchange(int packets, TunDevice kernelA, TunDevice kernelB) throws TunException {
        byte[][] shapes = {
            withHeader(SamplePackets.icmp4Echo(INNER_A, INNER_B, 56)),
            withHeader(SamplePackets.udp4(INNER_A, INNER_B, 100)),
            withHeader(SamplePackets.udp4(INNER_A, INNER_B, Device.DEFAULT_MTU - SamplePackets.UDP4_HEADERS)),
            withHeader(SamplePackets.udp6(INNER6_A, INNER6_B, 64)),
        };
        byte[] tcp = SuperPackets.tcp4(INNER_A, INNER_B, MSS, SEGMENTS);
        ByteBuffer out = ByteBuffer.allocateDirect(VirtioNetHeader.SIZE + TunDevice.MAX_PACKET_SIZE);
        ByteBuffer[] in = new ByteBuffer[BURST];
        int[] lengths = new int[BURST];
        for (int i = 0; i < BURST; i++) {
            in[i] = ByteBuffer.allocateDirect(VirtioNetHeader.SIZE + TunDevice.MAX_PACKET_SIZE);
        }
        byte[] read = new byte[VirtioNetHeader.SIZE + TunDevice.MAX_PACKET_SIZE];
        // a delivered read counts the packets it carries, as the TUN reader counts a super-packet's
        GsoSplitter counter = new GsoSplitter();
        long written = 0;
        long delivered = 0;
        long reads = 0;
        long tcpSequence = 1;
        int emptyBursts = 0;
        for (int burst = 0; written < packets; burst++) {
            int expected = 0;
            for (int i = 0; i < BURST; i++) {
                byte[] p;
                if (i == 0 && burst % TCP_EVERY == TCP_EVERY - 1) {
                    SuperPackets.setTcp4Sequence(tcp, (int) tcpSequence);
                    tcpSequence += (long) MSS * SEGMENTS;
                    p = tcp;
                } else {
                    p = shapes[(burst + i) % shapes.length];
                }
                out.clear();
                out.put(p).flip();
                if (kernelA.write(out) > 0) {
                    int n = p == tcp ? SEGMENTS : 1;
                    expected += n;
                    written += n;
                }
            }
            // read until the burst is through (super-packets count their segments), or it is late
            long deadline = System.nanoTime() + (burst == 0 ? FIRST_WAIT_MILLIS : BURST_WAIT_MILLIS) * 1_000_000L;
            int got = 0;
            while (got < expected) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0 || !kernelB.awaitReadable(left)) {
                    break;
                }
                int n = kernelB.readBatch(in, lengths);
                if (n < 0) {
                    break;
                }
                for (int k = 0; k < n; k++) {
                    in[k].flip();
                    in[k].get(read, 0, lengths[k]);
                    got += packetsIn(counter, read, lengths[k]);
                    in[k].clear();
                }
                reads += n;
            }
            delivered += got;
            if (got > 0) {
                emptyBursts = 0;
            } else if (burst == 0 || ++emptyBursts == MAX_EMPTY_BURSTS) {
                // no handshake (loopback down, UDP refused here), or the path stopped carrying:
                // a warm-up never waits on it for long
                break;
            }
        }
        return new Result(written, delivered, reads);
    }

    /** Packets a read from the device carries: the segments of a super-packet, else one. */
    private static int packetsIn(GsoSplitter counter, byte[] read, int length) {
        try {
            return counter.packetCount(read, 0, length);
        } catch (GsoSplitException e) {
            return 1;
        }
    }

    /** A packet as a TUN device with offloads hands it over: an empty virtio-net header first. */
    private static byte[] withHeader(byte[] packet) {
        byte[] b = new byte[VirtioNetHeader.SIZE + packet.length];
        System.arraycopy(packet, 0, b, VirtioNetHeader.SIZE, packet.length);
        return b;
    }
}
