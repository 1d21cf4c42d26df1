package io.cryptun.noise.device;

import io.cryptun.noise.wire.MessageType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Two devices with an established session, and the real datagrams that built it, for the fuzz
 * targets: "a" is the device under test, "b" its legitimate peer. Every datagram b sent to a has
 * been delivered, so each capture is now a replay; the captures include an initiation, a
 * response, a cookie reply (a was made to initiate while b was under load), transport data of
 * several sizes in both address families, and keepalives.
 */
final class EstablishedPair {
    static final String A_TUNNEL_V4 = "100.64.0.1";
    static final String B_TUNNEL_V4 = "100.64.0.2";
    static final String A_TUNNEL_V6 = "fd64::1";
    static final String B_TUNNEL_V6 = "fd64::2";

    final TestNet net;
    final TestNet.Node a;
    final TestNet.Node b;
    /** What b sent to a, in order (each one a replay now). */
    final List<byte[]> bToA = new ArrayList<>();
    /** What a sent to b. */
    final List<byte[]> aToB = new ArrayList<>();

    EstablishedPair(long seed) {
        net = new TestNet(seed);
        a = net.node("a", "198.18.0.1", 51820);
        b = net.node("b", "198.18.0.2", 51821);
        byte[] psk = new byte[32];
        Arrays.fill(psk, (byte) 0x5a);
        TestNet.pair(a, A_TUNNEL_V4 + "/32", b, B_TUNNEL_V4 + "/32", psk);
        a.device.allowedIps().insert(io.cryptun.noise.allowedips.IpPrefix.parse(B_TUNNEL_V6 + "/128"), peerOfA());
        b.device.allowedIps().insert(io.cryptun.noise.allowedips.IpPrefix.parse(A_TUNNEL_V6 + "/128"), peerOfB());
        net.onSend = d -> (d.from() == a ? aToB : bToA).add(d.data());

        // b initiates: initiation, response, data both ways
        b.sendIp(SamplePackets.udp4(B_TUNNEL_V4, A_TUNNEL_V4, 56));
        net.pump();
        a.sendIp(SamplePackets.udp4(A_TUNNEL_V4, B_TUNNEL_V4, 56));
        b.sendIp(SamplePackets.udp6(B_TUNNEL_V6, A_TUNNEL_V6, 1372));
        b.sendIp(SamplePackets.udp4(B_TUNNEL_V4, A_TUNNEL_V4, 0));
        net.pump();
        // a rekeys while b is under load: b answers with a cookie reply, a retries with mac2
        net.clock.advance(FakeClock.seconds(6));
        b.device.overrideUnderLoad(true);
        a.device.outbound.sendHandshakeInitiation(peerOfA(), false, a.worker, a, net.clock.nanoTime());
        net.pump();
        b.device.overrideUnderLoad(null);
        // data on the new session and keepalives both ways
        b.sendIp(SamplePackets.udp4(B_TUNNEL_V4, A_TUNNEL_V4, 200));
        a.sendIp(SamplePackets.udp6(A_TUNNEL_V6, B_TUNNEL_V6, 8));
        net.pump();
        b.device.outbound.sendKeepalive(peerOfB(), b.worker, b, net.clock.nanoTime());
        a.device.outbound.sendKeepalive(peerOfA(), a.worker, a, net.clock.nanoTime());
        net.pump();
        net.onSend = d -> { };
        net.recordWire = false;
        for (int type = MessageType.INITIATION; type <= MessageType.TRANSPORT; type++) {
            if (ofType(bToA, type).isEmpty() && type != MessageType.COOKIE_REPLY) {
                throw new IllegalStateException("no capture of type " + type + " from b");
            }
        }
        if (ofType(aToB, MessageType.COOKIE_REPLY).isEmpty() && ofType(bToA, MessageType.COOKIE_REPLY).isEmpty()) {
            throw new IllegalStateException("no cookie reply captured");
        }
    }

    Peer peerOfA() {
        return a.device.peers().get(0);
    }

    Peer peerOfB() {
        return b.device.peers().get(0);
    }

    /** Every captured datagram, both directions. */
    List<byte[]> all() {
        List<byte[]> l = new ArrayList<>(bToA);
        l.addAll(aToB);
        return l;
    }

    static List<byte[]> ofType(List<byte[]> datagrams, int type) {
        List<byte[]> l = new ArrayList<>();
        for (byte[] d : datagrams) {
            if (MessageType.of(d, 0, d.length) == type) {
                l.add(d);
            }
        }
        return l;
    }
}
