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
    /** Devices replaced by restarts, so their counters still add up. */
    public final List<Device> retired = new ArrayList<>();
    public final List<Datagram> wire = new ArrayList<>();
    /** Called for every packet a node writes to its TUN device. */
    public java.util.function.BiConsumer<Node, TunPacket> onTun = (n, p) -> { };
    /** Long simulations turn recording off to keep memory flat. */
    public boolean recordWire = true;
    /** Decides per datagram whether the network loses it. */
    public Predicate<Datagram> loss = d -> false;
    /** Decides per datagram whether the network delivers it twice. */
    public Predicate<Datagram> duplicate = d -> false;
    /** Called for every datagram as it is sent (before loss), e.g. to check invariants. */
    public java.util.function.Consumer<Datagram> onSend = d -> { };
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
        public Device device;
        private final Jitter jitter;
        public final Worker worker = new Worker(TransportCipher.create("bc"));
        public final InetSocketAddress address;
        public final byte[] privateKey;
        public final byte[] publicKey;
        public final List<TunPacket> tun = new ArrayList<>();
        public final List<Datagram> sent = new ArrayList<>();

        private final java.util.function.Consumer<Device.Builder> options;

        Node(String name, InetSocketAddress address, Jitter jitter) {
            this(name, address, jitter, b -> { });
        }

        Node(String name, InetSocketAddress address, Jitter jitter, java.util.function.Consumer<Device.Builder> options) {
            this.name = name;
            this.address = address;
            this.jitter = jitter;
            this.options = options;
            SecureRandom r = deterministic(seeds.nextLong());
            this.privateKey = X25519Keys.generatePrivate(r);
            this.publicKey = X25519Keys.publicFromPrivate(privateKey);
            this.device = newDevice(r);
        }

        private Device newDevice(SecureRandom r) {
            Device.Builder b = Device.builder().clock(clock).random(r);
            if (jitter != null) {
                b.jitter(jitter);
            }
            options.accept(b);
            Device d = b.build();
            d.setPrivateKey(privateKey);
            return d;
        }

        /**
         * A process restart: a fresh device with the same key and the same peers (keys, endpoints,
         * allowed IPs, PSKs, keepalive), all session state gone. The old device is dropped.
         */
        public void restart() {
            Device old = device;
            Device fresh = newDevice(deterministic(seeds.nextLong()));
            for (Peer p : old.peers()) {
                Peer q = fresh.addPeer(p.publicKey());
                q.setEndpoint(p.endpoint());
                q.setPresharedKey(p.presharedKey());
                for (io.cryptun.noise.allowedips.IpPrefix prefix : old.allowedIps().prefixesOf(p)) {
                    fresh.allowedIps().insert(prefix, q);
                }
                q.setPersistentKeepalive(p.persistentKeepaliveSeconds());
            }
            old.removeAllPeers();
            retired.add(old);
            device = fresh;
        }

        @Override
        public boolean sendDatagram(InetSocketAddress to, byte[] buf, int off, int len) {
            Datagram d = new Datagram(clock.nanoTime(), this, to, Arrays.copyOfRange(buf, off, off + len));
            if (recordWire) {
                sent.add(d);
            }
            if (recordWire) {
                wire.add(d);
            }
            onSend.accept(d);
            if (!loss.test(d)) {
                inFlight.add(d);
                if (duplicate.test(d)) {
                    inFlight.add(d);
                }
            }
            return true;
        }

        @Override
        public void writeTun(byte[] buf, int off, int len) {
            TunPacket p = new TunPacket(clock.nanoTime(), Arrays.copyOfRange(buf, off, off + len));
            onTun.accept(this, p);
            if (recordWire) {
                tun.add(p);
            }
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

    /** A counter summed over every device this network has run, restarted ones included. */
    public long totalDrops(DropReason reason) {
        long n = 0;
        for (Device d : retired) {
            n += d.stats().drops(reason);
        }
        for (Node node : nodes) {
            n += node.device.stats().drops(reason);
        }
        return n;
    }

    public Node node(String name, String ip, int port) {
        return node(name, ip, port, null);
    }

    /** A node whose device is built with extra builder options. */
    public Node nodeWith(String name, String ip, int port, java.util.function.Consumer<Device.Builder> options) {
        try {
            Node n = new Node(name, new InetSocketAddress(InetAddress.getByName(ip), port), null, options);
            nodes.add(n);
            return n;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
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
