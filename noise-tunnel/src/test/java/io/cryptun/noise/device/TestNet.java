package io.cryptun.noise.device;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.noise.crypto.TransportCipher;
import io.cryptun.noise.crypto.X25519Keys;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

/**
 * An in-memory network of sans-IO devices sharing one fake clock: datagrams a device sends are
 * queued and delivered when the test pumps; every datagram and TUN write is recorded with the
 * instant it happened, so tests can assert exact packets and times.
 */
public final class TestNet {
    public final FakeClock clock = new FakeClock();
    public final List<Node> nodes = new ArrayList<>();
    private final ArrayDeque<Datagram> inFlight = new ArrayDeque<>();
    public final List<Datagram> wire = new ArrayList<>();
    /** Decides per datagram whether the network loses it. */
    public Predicate<Datagram> loss = d -> false;
    private final SecureRandom seeds;

    public TestNet(long seed) {
        seeds = deterministic(seed);
    }

    public record Datagram(long at, Node from, InetSocketAddress to, byte[] data) {
        public int type() {
            return data.length < 4 ? 0 : data[0];
        }
    }

    public record TunPacket(long at, byte[] data) {
    }

    public static SecureRandom deterministic(long seed) {
        try {
            SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
            r.setSeed(seed);
            return r;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public final class Node implements PacketSink {
        public final String name;
        public final Device device;
        public final Worker worker = new Worker(TransportCipher.create("bc"));
        public final InetSocketAddress address;
        public final byte[] privateKey;
        public final byte[] publicKey;
        public final List<TunPacket> tun = new ArrayList<>();
        public final List<Datagram> sent = new ArrayList<>();

        Node(String name, InetSocketAddress address, Jitter jitter) {
            this.name = name;
            this.address = address;
            SecureRandom r = deterministic(seeds.nextLong());
            Device.Builder b = Device.builder().clock(clock).random(r);
            if (jitter != null) {
                b.jitter(jitter);
            }
            this.device = b.build();
            this.privateKey = X25519Keys.generatePrivate(r);
            this.publicKey = X25519Keys.publicFromPrivate(privateKey);
            device.setPrivateKey(privateKey);
        }

        @Override
        public boolean sendDatagram(InetSocketAddress to, byte[] buf, int off, int len) {
            Datagram d = new Datagram(clock.nanoTime(), this, to, Arrays.copyOfRange(buf, off, off + len));
            sent.add(d);
            wire.add(d);
            if (!loss.test(d)) {
                inFlight.add(d);
            }
            return true;
        }

        @Override
        public void writeTun(byte[] buf, int off, int len) {
            tun.add(new TunPacket(clock.nanoTime(), Arrays.copyOfRange(buf, off, off + len)));
        }

        /** Sends an IP packet as if read from this node's TUN device. */
        public void sendIp(byte[] packet) {
            byte[] buf = new byte[Protocol.HEADROOM + packet.length + Protocol.TAILROOM];
            System.arraycopy(packet, 0, buf, Protocol.HEADROOM, packet.length);
            device.sendPacket(worker, buf, Protocol.HEADROOM, packet.length, this);
        }

        public List<Datagram> sentOfType(int type) {
            List<Datagram> l = new ArrayList<>();
            for (Datagram d : sent) {
                if (d.type() == type) {
                    l.add(d);
                }
            }
            return l;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    public Node node(String name, String ip, int port) {
        return node(name, ip, port, null);
    }

    public Node node(String name, String ip, int port, Jitter jitter) {
        try {
            Node n = new Node(name, new InetSocketAddress(InetAddress.getByName(ip), port), jitter);
            nodes.add(n);
            return n;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** Makes a and b peers of each other with the given allowed IPs and endpoints. */
    public static void pair(Node a, String aAllowed, Node b, String bAllowed, byte[] psk) {
        Peer pb = a.device.addPeer(b.publicKey);
        pb.setEndpoint(b.address);
        pb.setPresharedKey(psk);
        a.device.allowedIps().insert(IpPrefix.parse(bAllowed), pb);
        Peer pa = b.device.addPeer(a.publicKey);
        pa.setEndpoint(a.address);
        pa.setPresharedKey(psk);
        b.device.allowedIps().insert(IpPrefix.parse(aAllowed), pa);
    }

    /** Delivers queued datagrams (and the handshakes they cause) until the network is quiet. */
    public int pump() {
        int delivered = 0;
        boolean progress = true;
        while (progress) {
            progress = false;
            Datagram d;
            while ((d = inFlight.poll()) != null) {
                Node target = find(d.to);
                if (target != null) {
                    byte[] buf = d.data.clone();
                    target.device.receive(target.worker, buf, 0, buf.length, d.from.address, target);
                    delivered++;
                }
                progress = true;
            }
            for (Node n : nodes) {
                if (n.device.processHandshakes(n.worker, n) > 0) {
                    progress = true;
                }
            }
        }
        return delivered;
    }

    /** Advances the clock to each timer deadline up to {@code until}, ticking and pumping at each. */
    public void runUntil(long until) {
        pump();
        while (true) {
            long next = Long.MAX_VALUE;
            for (Node n : nodes) {
                next = Math.min(next, n.device.nextTimerDeadline());
            }
            if (next > until) {
                clock.advanceTo(until);
                for (Node n : nodes) {
                    n.device.tick(n.worker, n);
                }
                pump();
                return;
            }
            clock.advanceTo(next);
            for (Node n : nodes) {
                n.device.tick(n.worker, n);
            }
            pump();
        }
    }

    public void runFor(long nanos) {
        runUntil(clock.nanoTime() + nanos);
    }

    public void dropInFlight() {
        inFlight.clear();
    }

    public int inFlightCount() {
        return inFlight.size();
    }

    private Node find(InetSocketAddress to) {
        for (Node n : nodes) {
            if (n.address.equals(to)) {
                return n;
            }
        }
        return null;
    }
}
