package io.cryptun.routing.reactor;

import io.cryptun.routing.psk.MeshKeyring;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.noise.crypto.X25519Keys;
import io.cryptun.noise.crypto.TransportCipher;
import io.cryptun.noise.device.Device;
import io.cryptun.noise.device.PacketSink;
import io.cryptun.noise.device.Peer;
import io.cryptun.noise.device.Worker;
import io.cryptun.routing.Fixtures;
import io.cryptun.routing.NodeId;
import io.cryptun.routing.mesh.PlannedPeer;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The peer table over a real WireGuard device. */
class DevicePeerTableTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final NodeId C = NodeId.parse(Fixtures.C);
    private static final NodeId D = NodeId.parse(Fixtures.D);

    private static byte[] publicKey() {
        return X25519Keys.publicFromPrivate(X25519Keys.generatePrivate(RANDOM));
    }

    private static List<IpPrefix> prefixes(String... p) {
        return java.util.Arrays.stream(p).map(IpPrefix::parse).toList();
    }

    private static PlannedPeer planned(NodeId node, byte[] key, int port, String... allowed) {
        return new PlannedPeer(node, key, node.primaryAddress(), port, prefixes(allowed));
    }

    /**
     * The device's next timer deadline once the timer thread has done the handshake work a device
     * prepares ahead for a configured peer (which sends nothing).
     */
    private static long deadlineAfterPreparations(Device d) {
        PacketSink nothing = new PacketSink() {
            @Override
            public boolean sendDatagram(InetSocketAddress to, byte[] buf, int off, int len) {
                throw new AssertionError("sent a datagram");
            }

            @Override
            public void writeTun(byte[] buf, int off, int len) {
                throw new AssertionError("wrote a packet");
            }
        };
        Worker w = new Worker(TransportCipher.create("bc"));
        for (int i = 0; i < 10 && d.nextTimerDeadline() <= System.nanoTime(); i++) {
            d.tick(w, nothing);
        }
        return d.nextTimerDeadline();
    }

    private static Device device() {
        Device d = Device.builder().build();
        d.setPrivateKey(X25519Keys.generatePrivate(RANDOM));
        return d;
    }

    @Test
    void addInstallsKeyEndpointAllowedIpsAndKeepalive() {
        Device dev = device();
        byte[] key = publicKey();
        new DevicePeerTable(dev, 25).add(planned(C, key, 51820, "10.99.0.0/16", "2001:db8:99::/48"));
        Peer p = dev.peer(key);
        assertEquals(new InetSocketAddress(C.primaryAddress(), 51820), p.endpoint());
        assertEquals(prefixes("10.99.0.0/16", "2001:db8:99::/48"), dev.allowedIps().prefixesOf(p));
        boolean ownIsSmaller = java.util.Arrays.compareUnsigned(dev.publicKey(), key) < 0;
        assertEquals(ownIsSmaller ? 25 : 0, p.persistentKeepaliveSeconds());
    }

    @Test
    void onlyTheSmallerKeyKeepsTheTunnelUp() {
        byte[] low = new byte[32];
        byte[] high = new byte[32];
        java.util.Arrays.fill(high, (byte) 0xff);
        high[31] = 0x7f;
        low[31] = 1;
        Device dev = device();
        DevicePeerTable t = new DevicePeerTable(dev, 25);
        t.add(planned(C, low, 51820, "10.1.0.0/16"));
        t.add(planned(D, high, 51820, "10.2.0.0/16"));
        // a generated key is all but certainly between 00..01 and ff..7f
        assertEquals(0, dev.peer(low).persistentKeepaliveSeconds(), "the peer with the smaller key keeps it up");
        assertEquals(25, dev.peer(high).persistentKeepaliveSeconds());
    }

    /** By default only the tunnels the plan marks (gateways of offered networks) are kept up, whatever the keys. */
    @Test
    void withTheGatewaysPolicyThePlanSaysWhichTunnelsStayUp() {
        byte[] low = new byte[32];
        byte[] high = new byte[32];
        java.util.Arrays.fill(high, (byte) 0xff);
        low[31] = 1;
        Device dev = device();
        DevicePeerTable t = new DevicePeerTable(dev, 25, MeshKeyring.empty(), DevicePeerTable.KeepUp.GATEWAYS);
        PlannedPeer gateway = planned(C, low, 51820, "10.99.0.0/16").withKeepUp(true);
        PlannedPeer other = planned(D, high, 51820, "10.254.4.1/32");
        t.add(gateway);
        t.add(other);
        assertEquals(25, dev.peer(low).persistentKeepaliveSeconds(), "kept up although its key is the smaller");
        assertEquals(0, dev.peer(high).persistentKeepaliveSeconds(), "on demand although this side's key is smaller");
        t.update(gateway, gateway.withKeepUp(false));
        t.update(other, other.withKeepUp(true));
        assertEquals(0, dev.peer(low).persistentKeepaliveSeconds());
        assertEquals(25, dev.peer(high).persistentKeepaliveSeconds());
    }

    /**
     * A peer removed and added back within a session's lifetime (its record was briefly missing)
     * gets a handshake at once: the other side may still send on the session this side dropped.
     * One added for the first time, or long after, waits for traffic.
     */
    @Test
    void aPeerAddedBackSoonHandshakesAtOnce() {
        Device dev = device();
        long[] now = {0};
        DevicePeerTable t = new DevicePeerTable(dev, 0);
        t.clock(() -> now[0]);
        PlannedPeer c = planned(C, publicKey(), 51820, "10.99.0.0/16");
        t.add(c);
        assertEquals(Long.MAX_VALUE, deadlineAfterPreparations(dev), "new: nothing to do until traffic");
        t.remove(c);
        now[0] += 1_000_000_000L;
        t.add(c);
        assertTrue(dev.nextTimerDeadline() != Long.MAX_VALUE, "added back after 1 s: a handshake is due");

        Device other = device();
        DevicePeerTable late = new DevicePeerTable(other, 0);
        late.clock(() -> now[0]);
        late.add(c);
        late.remove(c);
        now[0] += DevicePeerTable.REMEMBER_REMOVED_NANOS + 1;
        late.add(c);
        assertEquals(Long.MAX_VALUE, deadlineAfterPreparations(other), "added back after its sessions would have expired");
    }

    @Test
    void updateChangesOnlyWhatDiffersAndKeepsThePeer() throws Exception {
        Device dev = device();
        DevicePeerTable t = new DevicePeerTable(dev, 0);
        byte[] key = publicKey();
        PlannedPeer v1 = planned(C, key, 51820, "10.99.0.0/16", "10.254.3.1/32");
        t.add(v1);
        Peer p = dev.peer(key);
        // the peer roamed: WireGuard learned another source address from its packets
        InetSocketAddress roamed = new InetSocketAddress(InetAddress.getByName("fd70::99"), 40000);
        p.setEndpoint(roamed);

        PlannedPeer v2 = planned(C, key, 51820, "10.254.3.1/32", "10.77.0.0/16");
        t.update(v1, v2);
        assertSame(p, dev.peer(key), "the same peer, with its sessions");
        assertFalse(p.isRemoved());
        assertEquals(roamed, p.endpoint(), "an endpoint the plan did not change is left alone");
        assertEquals(prefixes("10.254.3.1/32", "10.77.0.0/16"), dev.allowedIps().prefixesOf(p));

        PlannedPeer v3 = planned(C, key, 51999, "10.254.3.1/32", "10.77.0.0/16");
        t.update(v2, v3);
        assertSame(p, dev.peer(key));
        assertEquals(new InetSocketAddress(C.primaryAddress(), 51999), p.endpoint(), "a planned port change is applied");
    }

    @Test
    void aPrefixMovingToAnotherPeerStaysWithTheNewOne() {
        Device dev = device();
        DevicePeerTable t = new DevicePeerTable(dev, 0);
        byte[] kc = publicKey();
        byte[] kd = publicKey();
        PlannedPeer c1 = planned(C, kc, 51820, "10.99.0.0/16", "10.254.3.1/32");
        t.add(c1);
        // the reactor adds and updates before it removes: D takes the prefix, then C lets go of it
        t.add(planned(D, kd, 51820, "10.99.0.0/16"));
        t.update(c1, planned(C, kc, 51820, "10.254.3.1/32"));
        assertSame(dev.peer(kd), dev.allowedIps().ownerOf(IpPrefix.parse("10.99.0.0/16")));
        assertEquals(prefixes("10.254.3.1/32"), dev.allowedIps().prefixesOf(dev.peer(kc)));
    }

    @Test
    void removeDropsThePeerAndAPeerRemovedBehindItsBackIsPutBack() {
        Device dev = device();
        DevicePeerTable t = new DevicePeerTable(dev, 0);
        byte[] key = publicKey();
        PlannedPeer v1 = planned(C, key, 51820, "10.99.0.0/16");
        t.add(v1);
        dev.removePeer(dev.peer(key));
        PlannedPeer v2 = planned(C, key, 51820, "10.99.0.0/16", "10.98.0.0/16");
        t.update(v1, v2);
        assertEquals(prefixes("10.98.0.0/16", "10.99.0.0/16"), dev.allowedIps().prefixesOf(dev.peer(key)));
        t.remove(v2);
        assertNull(dev.peer(key));
        assertEquals(0, dev.allowedIps().size());
    }

    @Test
    void aPeerWithTheInterfacesOwnKeyIsRefused() {
        Device dev = device();
        assertThrows(IllegalStateException.class, () -> new DevicePeerTable(dev, 0).add(planned(C, dev.publicKey(), 51820)));
        assertEquals(0, dev.peerCount());
    }

    @Test
    void preSharedKeysComeFromThePlannedGenerationsAndARefusedPeerGetsNoKeepalive() {
        byte[] old = new byte[32];
        java.util.Arrays.fill(old, (byte) 0x42);
        byte[] next = new byte[32];
        java.util.Arrays.fill(next, (byte) 0x43);
        io.cryptun.routing.psk.MeshKeyring ring = io.cryptun.routing.psk.MeshKeyring.of(new io.cryptun.routing.psk.MeshSecrets(
                List.of(new io.cryptun.routing.psk.MeshSecret(old), new io.cryptun.routing.psk.MeshSecret(next))));
        List<String> ids = ring.ids();
        Device dev = device();
        DevicePeerTable t = new DevicePeerTable(dev, 25, ring);
        byte[] low = new byte[32];
        low[31] = 1;
        // the device's key is all but certainly above 00..01: the peer keeps the tunnel up, not this side
        PlannedPeer refused = new PlannedPeer(C, low, C.primaryAddress(), 51820, List.of(), List.of(ids.get(0)), "other secret");
        t.add(refused);
        Peer p = dev.peer(low);
        assertArrayEquals(io.cryptun.routing.psk.MeshPsk.derive(old, dev.publicKey(), low), p.presharedKey());
        assertEquals(0, p.persistentKeepaliveSeconds());
        assertEquals(List.of(), dev.allowedIps().prefixesOf(p));

        byte[] high = new byte[32];
        java.util.Arrays.fill(high, (byte) 0xff);
        high[31] = 0x7f;
        PlannedPeer accepted = new PlannedPeer(D, high, D.primaryAddress(), 51820, prefixes("10.2.0.0/16"),
                List.of(ids.get(1), ids.get(0)), null);
        t.add(accepted);
        Peer q = dev.peer(high);
        assertArrayEquals(io.cryptun.routing.psk.MeshPsk.derive(next, dev.publicKey(), high), q.presharedKey());
        assertEquals(25, q.persistentKeepaliveSeconds());
        // refused from now on: keepalive off, the key follows the new first generation
        PlannedPeer nowRefused = new PlannedPeer(D, high, D.primaryAddress(), 51820, List.of(),
                List.of(ids.get(0), ids.get(1)), "other secret");
        t.update(accepted, nowRefused);
        assertSame(q, dev.peer(high), "the same peer, updated");
        assertEquals(0, q.persistentKeepaliveSeconds());
        assertArrayEquals(io.cryptun.routing.psk.MeshPsk.derive(old, dev.publicKey(), high), q.presharedKey());
        assertEquals(List.of(), dev.allowedIps().prefixesOf(q));
        // without secrets: the all-zero key, as plain WireGuard
        t.update(nowRefused, planned(D, high, 51820, "10.2.0.0/16"));
        assertArrayEquals(new byte[32], q.presharedKey());
        assertEquals(25, q.persistentKeepaliveSeconds());
        // generations the keyring does not hold are refused rather than silently keyed with zeros
        assertThrows(IllegalStateException.class, () -> t.add(new PlannedPeer(C, publicKey(), C.primaryAddress(), 1,
                List.of(), List.of("00000000"), null)));
    }
}
