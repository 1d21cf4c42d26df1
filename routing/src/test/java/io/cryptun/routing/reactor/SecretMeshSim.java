package io.cryptun.routing.reactor;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.noise.crypto.TransportCipher;
import io.cryptun.noise.crypto.X25519Keys;
import io.cryptun.noise.device.Clock;
import io.cryptun.noise.device.Device;
import io.cryptun.noise.device.PacketSink;
import io.cryptun.noise.device.Protocol;
import io.cryptun.noise.device.SamplePackets;
import io.cryptun.noise.device.Worker;
import io.cryptun.routing.NodeId;
import io.cryptun.routing.mesh.PlannedPeer;
import io.cryptun.routing.psk.MeshKeyring;
import io.cryptun.routing.psk.MeshSecrets;
import io.cryptun.routing.psk.SecretGenerations;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Mesh nodes in memory for tests: each a real WireGuard {@link Device} with a {@link MeshKeyring}
 * and a {@link DevicePeerTable}, on one fake clock, datagrams delivered through a queue. What a
 * node knows of the others' secret generations (their announced ids) is updated explicitly with
 * {@link Node#learn}, so tests decide how late the news travels; every change of a node's own
 * secrets or of its knowledge re-plans its peers as the reactor does (add, or update with the
 * difference).
 */
final class SecretMeshSim {
    static final int PORT = 51820;

    final SimClock clock = new SimClock();
    final List<Node> nodes = new ArrayList<>();
    private final ArrayDeque<Object[]> inFlight = new ArrayDeque<>();
    private final SecureRandom seeds;

    SecretMeshSim(long seed) {
        try {
            seeds = SecureRandom.getInstance("SHA1PRNG");
            seeds.setSeed(seed);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static final class SimClock implements Clock {
        private long nanos = 1_000_000_000L;

        @Override
        public synchronized long nanoTime() {
            return nanos;
        }

        @Override
        public synchronized long unixNanos() {
            return 1_795_420_391_000_000_000L + nanos;
        }

        /** The wall time of a monotonic instant. */
        long unixOf(long monotonic) {
            return 1_795_420_391_000_000_000L + monotonic;
        }

        synchronized void advanceTo(long t) {
            nanos = Math.max(nanos, t);
        }
    }

    final class Node implements PacketSink {
        final String name;
        final int index;
        final NodeId id;
        final Device device;
        final Worker worker = new Worker(TransportCipher.create("bc"));
        final MeshKeyring ring = MeshKeyring.empty();
        final DevicePeerTable table;
        final byte[] publicKey;
        /** Other nodes' announced ids as this node knows them. */
        final Map<Node, List<String>> known = new HashMap<>();
        final Map<Node, PlannedPeer> installed = new LinkedHashMap<>();
        /** When (monotonic) the first generation this node plans towards each other node last changed. */
        final Map<Node, Long> firstChangedAt = new HashMap<>();
        /** Packets delivered to this node's TUN device, by sender. */
        final Map<Node, Integer> received = new HashMap<>();
        /** Whether this node follows the closed-community rule (false: an old cryptun without it). */
        boolean refuses = true;

        Node(String name, int index) {
            this.name = name;
            this.index = index;
            byte[] idBytes = new byte[NodeId.LENGTH];
            seeds.nextBytes(idBytes);
            this.id = NodeId.of(idBytes);
            SecureRandom r;
            try {
                r = SecureRandom.getInstance("SHA1PRNG");
                r.setSeed(seeds.nextLong());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            this.device = Device.builder().clock(clock).random(r).build();
            byte[] priv = X25519Keys.generatePrivate(r);
            device.setPrivateKey(priv);
            this.publicKey = X25519Keys.publicFromPrivate(priv);
            this.table = new DevicePeerTable(device, 25, ring);
        }

        String address() {
            return "10.0.0." + index;
        }

        InetSocketAddress endpoint() {
            return new InetSocketAddress(id.primaryAddress(), PORT);
        }

        List<String> ids() {
            return ring.ids();
        }

        /** The node's secret file now holds these (null: none); it plans again with them. */
        void hold(MeshSecrets secrets) {
            ring.replace(secrets);
            replan();
        }

        /** This node hears of {@code other}'s current ids (its record reached it through bmx7). */
        void learn(Node other) {
            known.put(other, other.ids());
            replan();
        }

        void learnAll() {
            for (Node o : nodes) {
                if (o != this) {
                    learn(o);
                }
            }
        }

        private void replan() {
            for (Map.Entry<Node, List<String>> e : known.entrySet()) {
                Node o = e.getKey();
                List<String> theirs = e.getValue();
                String refusal = refuses ? SecretGenerations.incompatibility(ids(), theirs) : null;
                List<IpPrefix> allowed = refusal == null ? List.of(IpPrefix.parse(o.address() + "/32")) : List.of();
                PlannedPeer want = new PlannedPeer(o.id, o.publicKey, o.id.primaryAddress(), PORT, allowed,
                        SecretGenerations.order(ids(), theirs), refusal);
                PlannedPeer before = installed.get(o);
                if (before == null || !first(before).equals(first(want))) {
                    firstChangedAt.put(o, clock.nanoTime());
                }
                if (before == null) {
                    table.add(want);
                } else if (!before.equals(want)) {
                    table.update(before, want);
                }
                installed.put(o, want);
            }
        }

        private static String first(PlannedPeer p) {
            return p.pskGenerations().isEmpty() ? "" : p.pskGenerations().get(0);
        }

        /** Sends one IPv4 packet from this node's address to {@code to}'s, as if read from its TUN device. */
        void send(Node to) {
            byte[] packet = SamplePackets.udp4(address(), to.address(), 32);
            byte[] buf = new byte[Protocol.HEADROOM + packet.length + Protocol.TAILROOM];
            System.arraycopy(packet, 0, buf, Protocol.HEADROOM, packet.length);
            device.sendPacket(worker, buf, Protocol.HEADROOM, packet.length, this);
        }

        io.cryptun.noise.device.Peer peerOf(Node o) {
            return device.peer(o.publicKey);
        }

        @Override
        public boolean sendDatagram(InetSocketAddress to, byte[] buf, int off, int len) {
            inFlight.add(new Object[] {this, to, Arrays.copyOfRange(buf, off, off + len)});
            return true;
        }

        @Override
        public void writeTun(byte[] buf, int off, int len) {
            int srcLast = buf[off + 15] & 0xff;
            for (Node n : nodes) {
                if (n.index == srcLast) {
                    received.merge(n, 1, Integer::sum);
                }
            }
        }

        @Override
        public String toString() {
            return name;
        }
    }

    Node node(String name) {
        Node n = new Node(name, nodes.size() + 1);
        nodes.add(n);
        return n;
    }

    /** Delivers queued datagrams and the handshakes they cause until the network is quiet. */
    void pump() {
        boolean progress = true;
        while (progress) {
            progress = false;
            Object[] d;
            while ((d = inFlight.poll()) != null) {
                Node from = (Node) d[0];
                InetSocketAddress to = (InetSocketAddress) d[1];
                byte[] data = (byte[]) d[2];
                for (Node n : nodes) {
                    if (n.endpoint().equals(to)) {
                        n.device.receive(n.worker, data, 0, data.length, from.endpoint(), n);
                    }
                }
                progress = true;
            }
            for (Node n : nodes) {
                if (n.device.processHandshakes(n.worker, n) > 0) {
                    progress = true;
                }
            }
        }
    }

    /** Advances the clock to each timer deadline up to {@code until}, ticking and pumping at each. */
    void runUntil(long until) {
        pump();
        while (true) {
            long next = Long.MAX_VALUE;
            for (Node n : nodes) {
                next = Math.min(next, n.device.nextTimerDeadline());
            }
            clock.advanceTo(Math.min(next, until));
            for (Node n : nodes) {
                n.device.tick(n.worker, n);
            }
            pump();
            if (next > until) {
                return;
            }
        }
    }

    void runFor(long nanos) {
        runUntil(clock.nanoTime() + nanos);
    }

    static long seconds(double s) {
        return (long) (s * 1_000_000_000L);
    }
}
