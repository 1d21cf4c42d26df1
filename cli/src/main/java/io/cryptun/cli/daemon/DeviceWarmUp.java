package io.cryptun.cli.daemon;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.noise.crypto.Keys;
import io.cryptun.noise.crypto.TransportCipher;
import io.cryptun.noise.crypto.X25519Keys;
import io.cryptun.noise.device.Device;
import io.cryptun.noise.device.EventLog;
import io.cryptun.noise.device.PacketSink;
import io.cryptun.noise.device.Peer;
import io.cryptun.noise.device.Protocol;
import io.cryptun.noise.device.SamplePackets;
import io.cryptun.noise.device.Stats;
import io.cryptun.noise.device.SystemClock;
import io.cryptun.noise.device.Worker;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * Two throwaway devices, wired to each other in memory, run complete handshakes and carry packets
 * both ways, so that the JIT has compiled the whole handshake and packet path before the first
 * real peer shows up. Handshakes are rare: without this, the first ones after start-up run the
 * protocol code in the interpreter (about 100 ms for the first, several ms for the next ones),
 * which is the first packet's latency.
 *
 * <p>Every round needs a new handshake: the devices' own clock (a {@link SystemClock} of their own,
 * the daemon's class) jumps past REJECT_AFTER_TIME, and every other round each side also forgets
 * its peer and adds it again, as {@code wg set} does before a daemon's first ping (no keypair at
 * all, a branch the expiry rounds never take). The devices log nothing; their keys are zeroed at the end.
 * What the daemon's first packets meet must be what the warm-up ran: a class or a branch it never
 * saw makes the JIT throw its compiled code away on that first packet's path.
 * Nothing here touches the network. It lives in the daemon, not in the sans-IO core: it reads the
 * wall clock and needs nothing of the device but its public API.
 */
public final class DeviceWarmUp {
    private static final InetSocketAddress ADDRESS_A = label(1);
    private static final InetSocketAddress ADDRESS_B = label(2);
    private static final byte[] INNER_A = {10, 0, 0, 1};
    private static final byte[] INNER_B = {10, 0, 0, 2};
    private static final byte[] INNER6_A = inner6(1);
    private static final byte[] INNER6_B = inner6(2);
    /** Destinations no peer has: the first packets of an interface are often such (IPv6 MLD, DNS elsewhere). */
    private static final byte[] NOWHERE = {10, 9, 9, 9};
    private static final byte[] MLD_GROUP = {(byte) 0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x16};

    /** Packets sent one way only in round {@code r}; see {@link #run}. */
    static int oneWayPackets(int r) {
        return r % 32 == 0 ? 70 : 3;
    }

    /** What a run did, for the test that keeps this honest. */
    public record Result(long sessions, long packetsDelivered, long junkDropped) {
    }

    private DeviceWarmUp() {
    }

    /**
     * Runs {@code rounds} handshakes, each followed by {@code packetsPerRound} packets in each
     * direction (sizes alternating between small and MTU-sized), with the given cipher backend.
     */
    public static Result run(int rounds, int packetsPerRound, String cipherBackend) {
        SystemClock clock = SystemClock.adjustable();
        SecureRandom random = new SecureRandom();
        Wire wire = new Wire();
        Side a = new Side(ADDRESS_A, wire, clock, random, cipherBackend);
        Side b = new Side(ADDRESS_B, wire, clock, random, cipherBackend);
        a.connect(b, INNER_B, INNER6_B);
        b.connect(a, INNER_A, INNER6_A);
        // sizes as a ping's (84 bytes) and the MTU's, whole packets
        int small4 = 84 - SamplePackets.UDP4_HEADERS;
        int large4 = Device.DEFAULT_MTU - SamplePackets.UDP4_HEADERS;
        byte[] small = SamplePackets.udp4(INNER_A, INNER_B, small4);
        byte[] large = SamplePackets.udp4(INNER_A, INNER_B, large4);
        byte[] smallBack = SamplePackets.udp4(INNER_B, INNER_A, small4);
        byte[] largeBack = SamplePackets.udp4(INNER_B, INNER_A, large4);
        byte[] small6 = SamplePackets.udp6(INNER6_A, INNER6_B, 104 - SamplePackets.UDP6_HEADERS);
        byte[] small6Back = SamplePackets.udp6(INNER6_B, INNER6_A, 104 - SamplePackets.UDP6_HEADERS);
        byte[] noRoute = SamplePackets.udp4(INNER_A, NOWHERE, 60 - SamplePackets.UDP4_HEADERS);
        byte[] mld = SamplePackets.udp6(INNER6_A, MLD_GROUP, 96 - SamplePackets.UDP6_HEADERS);
        try {
            for (int r = 0; r < rounds; r++) {
                // the first packet starts a handshake: the keys of the last round are past
                // REJECT_AFTER_TIME, or the peers are new
                clock.advance(Protocol.REJECT_AFTER_TIME + Protocol.REKEY_TIMEOUT);
                if (r % 2 == 1) {
                    a.reconnect(b, INNER_B, INNER6_B);
                    b.reconnect(a, INNER_A, INNER6_A);
                }
                for (int i = 0; i < packetsPerRound; i++) {
                    // small and MTU-sized, every third one IPv6: the branches real traffic takes
                    boolean big = (i & 1) == 1;
                    boolean v6 = i % 3 == 2;
                    a.send(v6 ? small6 : big ? large : small, i);
                    wire.deliver(a, b);
                    b.send(v6 ? small6Back : big ? largeBack : smallBack, i);
                    wire.deliver(a, b);
                }
                // one way only for a few packets, as a stream's data flows: the receiver's keepalive
                // timer is then armed already (in the ping-pong above it never is), a branch that
                // otherwise threw Inbound.receiveTransport's compiled code away in a TCP stream's
                // first second; every 32nd round long enough to move the replay window past its
                // first 64-bit word
                for (int i = 0, n = oneWayPackets(r); i < n; i++) {
                    a.send(large, i);
                }
                // and out of order, as the newest counter is not always the last to arrive
                wire.deliver(a, b, true);
                for (int i = 0; i < 3; i++) {
                    b.send(largeBack, i);
                }
                wire.deliver(a, b);
                // packets for no peer, dropped before any crypto
                a.send(noRoute, r);
                a.send(mld, r);
                // the timer thread's part, as a daemon runs it: due timers handled, deadlines rescheduled
                // (a warm-up that never drains them leaves the scheduling code compiled for one branch,
                // and the first real packet throws that code away)
                a.device.tick(a.worker, a);
                b.device.tick(b.worker, b);
                // what a flood brings, dropped as the real ones will be: the first flood after start
                // then meets compiled drop paths, not the interpreter, while real packets wait behind it
                for (byte[] junk : junk(random)) {
                    b.receive(junk, ADDRESS_A);
                }
            }
            return new Result(Math.min(a.sessions(), b.sessions()), a.delivered + b.delivered, b.device.stats().totalDrops());
        } finally {
            a.close();
            b.close();
        }
    }

    /**
     * The packet path calls its sink through an interface; warmed with one sink class, the JIT
     * would compile those calls for that class alone and throw the code away at the daemon's
     * first packet (its sinks are other classes). Three classes (Side and the two relays below: the
     * JIT profiles the concrete class) make the calls megamorphic, as they are in a daemon (TUN
     * reader, UDP event loop, timers), so compiled code survives.
     */
    private abstract static class Relay implements PacketSink {
        private final PacketSink to;

        Relay(PacketSink to) {
            this.to = to;
        }

        @Override
        public boolean sendDatagram(InetSocketAddress dst, byte[] b, int off, int len) {
            return to.sendDatagram(dst, b, off, len);
        }

        @Override
        public void writeTun(byte[] b, int off, int len) {
            to.writeTun(b, off, len);
        }
    }

    private static final class FirstRelay extends Relay {
        FirstRelay(PacketSink to) {
            super(to);
        }
    }

    private static final class SecondRelay extends Relay {
        SecondRelay(PacketSink to) {
            super(to);
        }
    }

    private static final Thread NO_TIMER_THREAD = new Thread(() -> { }, "cryptun-warm-up-timers");

    private static final class Side implements PacketSink {
        final Device device;
        final Worker worker;
        final byte[] privateKey;
        final byte[] buf = new byte[Protocol.HEADROOM + Worker.MAX_PACKET + Protocol.TAILROOM];
        final InetSocketAddress address;
        private final Wire wire;
        private final PacketSink[] sinks = {this, new FirstRelay(this), new SecondRelay(this)};
        private int nextReceiveSink;
        long delivered;

        Side(InetSocketAddress address, Wire wire, SystemClock clock, SecureRandom random, String cipherBackend) {
            this.address = address;
            this.wire = wire;
            device = Device.builder().clock(clock).random(random).eventLog(EventLog.SILENT).inlineHandshakes(true).build();
            // the daemon's device unparks its timer thread; this one a thread never started (a no-op)
            device.wakeTimerThread(NO_TIMER_THREAD);
            privateKey = X25519Keys.generatePrivate(random);
            device.setPrivateKey(privateKey);
            worker = new Worker(TransportCipher.create(cipherBackend));
        }

        /** Forgets the peer and adds it again: its first packet finds no keypair. */
        void reconnect(Side other, byte[] otherInner, byte[] otherInner6) {
            device.removePeer(device.peer(X25519Keys.publicFromPrivate(other.privateKey)));
            connect(other, otherInner, otherInner6);
        }

        void connect(Side other, byte[] otherInner, byte[] otherInner6) {
            Peer p = device.addPeer(X25519Keys.publicFromPrivate(other.privateKey));
            p.setEndpoint(other.address);
            device.allowedIps().insert(IpPrefix.of(otherInner, 32), p);
            device.allowedIps().insert(IpPrefix.of(otherInner6, 128), p);
            device.setUp(true);
        }

        void send(byte[] packet, int i) {
            System.arraycopy(packet, 0, buf, Protocol.HEADROOM, packet.length);
            device.sendPacket(worker, buf, Protocol.HEADROOM, packet.length, sinks[i % sinks.length]);
        }

        void receive(byte[] datagram, InetSocketAddress from) {
            nextReceiveSink = (nextReceiveSink + 1) % sinks.length;
            device.receive(worker, datagram, 0, datagram.length, from, sinks[nextReceiveSink]);
        }

        long sessions() {
            return device.stats().events(Stats.Event.SESSION_ESTABLISHED);
        }

        @Override
        public boolean sendDatagram(InetSocketAddress to, byte[] b, int off, int len) {
            wire.queue.add(new Datagram(Arrays.copyOfRange(b, off, off + len), address, to));
            return true;
        }

        @Override
        public void writeTun(byte[] b, int off, int len) {
            if (len > 0) {
                delivered++;
            }
        }

        void close() {
            device.setUp(false);
            device.removeAllPeers();
            Keys.zero(privateKey);
            device.setPrivateKey(null);
        }
    }

    private record Datagram(byte[] data, InetSocketAddress from, InetSocketAddress to) {
    }

    /** Datagrams in flight between the two sides, delivered in order until none is left. */
    private static final class Wire {
        final ArrayDeque<Datagram> queue = new ArrayDeque<>();

        void deliver(Side a, Side b) {
            deliver(a, b, false);
        }

        /** Delivers every datagram in flight, the last sent first when {@code reversed}. */
        void deliver(Side a, Side b, boolean reversed) {
            Datagram d;
            while ((d = reversed ? queue.pollLast() : queue.poll()) != null) {
                (a.address.equals(d.to()) ? a : b).receive(d.data(), d.from());
            }
        }
    }

    /**
     * Datagrams the receive path drops: an initiation and a cookie reply with garbage inside (mac1
     * wrong), transport data for no session, a response for no handshake, a runt, an unknown type.
     */
    private static byte[][] junk(SecureRandom random) {
        int[][] shapes = {{1, 148}, {3, 64}, {4, 32}, {4, 1452}, {2, 92}, {1, 40}, {9, 148}};
        byte[][] out = new byte[shapes.length][];
        for (int i = 0; i < shapes.length; i++) {
            byte[] d = new byte[shapes[i][1]];
            random.nextBytes(d);
            d[0] = (byte) shapes[i][0];
            d[1] = d[2] = d[3] = 0;
            out[i] = d;
        }
        return out;
    }

    /** fd00::n, a unique-local address (a label here, nothing is sent to it). */
    private static byte[] inner6(int last) {
        byte[] a = new byte[16];
        a[0] = (byte) 0xfd;
        a[15] = (byte) last;
        return a;
    }

    private static InetSocketAddress label(int last) {
        try {
            // documentation addresses (RFC 5737): only labels here, nothing is sent to them
            return new InetSocketAddress(InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, (byte) last}), 9);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
