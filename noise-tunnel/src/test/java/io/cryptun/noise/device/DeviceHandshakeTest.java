package io.cryptun.noise.device;

import static io.cryptun.noise.device.FakeClock.millis;
import static io.cryptun.noise.device.FakeClock.seconds;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.noise.session.Keypair;
import io.cryptun.noise.wire.MessageType;
import org.junit.jupiter.api.Test;

class DeviceHandshakeTest {

    @Test
    void firstPacketTriggersHandshakeAndIsDeliveredAfterIt() {
        TestNet net = new TestNet(1);
        TestNet.Node a = net.node("a", "198.18.0.1", 51820);
        TestNet.Node b = net.node("b", "198.18.0.2", 51821);
        byte[] psk = new byte[32];
        psk[0] = 7;
        TestNet.pair(a, "100.64.0.1/32", b, "100.64.0.2/32", psk);

        byte[] ping = SamplePackets.udp4("100.64.0.1", "100.64.0.2", 56);
        a.sendIp(ping);
        // no session yet: the packet waits and an initiation goes out
        assertEquals(1, a.sent.size());
        assertEquals(MessageType.INITIATION, a.sent.get(0).type());
        assertEquals(148, a.sent.get(0).data().length);
        assertEquals(1, a.device.peers().get(0).stagedPackets());

        net.pump();
        // b answered with a 92-byte response; a sent the staged ping (a key-confirming data packet)
        assertEquals(MessageType.RESPONSE, b.sent.get(0).type());
        assertEquals(92, b.sent.get(0).data().length);
        assertEquals(MessageType.TRANSPORT, a.sent.get(1).type());
        // 84-byte packet padded to 96, plus header and tag
        assertEquals(16 + 96 + 16, a.sent.get(1).data().length);
        assertEquals(1, b.tun.size());
        assertArrayEquals(ping, b.tun.get(0).data());

        // b confirmed the session with that packet and can answer
        Peer bSideA = b.device.peers().get(0);
        assertNotNull(bSideA.currentKeypair());
        assertNull(bSideA.nextKeypair());
        byte[] pong = SamplePackets.udp6("fd99::2", "fd99::1", 100);
        b.device.allowedIps().insert(io.cryptun.noise.allowedips.IpPrefix.parse("fd99::1/128"), bSideA);
        a.device.allowedIps().insert(io.cryptun.noise.allowedips.IpPrefix.parse("fd99::2/128"), a.device.peers().get(0));
        b.sendIp(pong);
        net.pump();
        assertEquals(1, a.tun.size());
        assertArrayEquals(pong, a.tun.get(0).data());
        assertTrue(a.device.peers().get(0).lastHandshakeUnixNanos() > 0);
        assertEquals(0, a.device.stats().totalDrops());
        assertEquals(0, b.device.stats().totalDrops());
    }

    @Test
    void responderSendsNothingBeforeKeyConfirmation() {
        TestNet net = new TestNet(2);
        TestNet.Node a = net.node("a", "198.18.0.1", 1);
        TestNet.Node b = net.node("b", "198.18.0.2", 2);
        TestNet.pair(a, "10.0.0.1/32", b, "10.0.0.2/32", null);
        a.sendIp(SamplePackets.udp4("10.0.0.1", "10.0.0.2", 10));
        // deliver only the initiation
        net.loss = d -> d.type() == MessageType.TRANSPORT;
        net.pump();
        Peer bSideA = b.device.peers().get(0);
        assertNull(bSideA.currentKeypair());
        assertNotNull(bSideA.nextKeypair());
        b.sendIp(SamplePackets.udp4("10.0.0.2", "10.0.0.1", 10));
        // staged, not sent on the unconfirmed keypair, and no new initiation within REKEY_TIMEOUT
        assertEquals(1, bSideA.stagedPackets());
        assertTrue(b.sentOfType(MessageType.TRANSPORT).isEmpty());
        assertEquals(1, b.sentOfType(MessageType.RESPONSE).size());
        assertTrue(b.sentOfType(MessageType.INITIATION).isEmpty());
    }

    @Test
    void wrongPresharedKeyNeverCompletes() {
        TestNet net = new TestNet(3);
        TestNet.Node a = net.node("a", "198.18.0.1", 1);
        TestNet.Node b = net.node("b", "198.18.0.2", 2);
        TestNet.pair(a, "10.0.0.1/32", b, "10.0.0.2/32", new byte[32]);
        byte[] other = new byte[32];
        other[31] = 1;
        b.device.peers().get(0).setPresharedKey(other);
        a.sendIp(SamplePackets.udp4("10.0.0.1", "10.0.0.2", 10));
        net.pump();
        // b accepts the initiation (the psk only enters at the response) but a rejects the response
        assertEquals(1, b.sentOfType(MessageType.RESPONSE).size());
        assertEquals(1, a.device.stats().drops(DropReason.INVALID_HANDSHAKE));
        assertNull(a.device.peers().get(0).currentKeypair());
        assertTrue(b.tun.isEmpty());
        // and the initiator can say why
        assertTrue(a.device.peers().get(0).lastHandshakeFailure().contains("pre-shared"));
        // which clears once the keys agree again
        b.device.peers().get(0).setPresharedKey(new byte[32]);
        net.clock.advance(FakeClock.seconds(6));
        a.sendIp(SamplePackets.udp4("10.0.0.1", "10.0.0.2", 10));
        net.pump();
        assertNull(a.device.peers().get(0).lastHandshakeFailure());
        // the packet that waited through the failed attempt and the new one
        assertEquals(2, b.tun.size());
    }

    @Test
    void initiatorFindsThePresharedKeyItsPeerUsesAmongItsAlternatives() {
        TestNet net = new TestNet(6);
        TestNet.Node a = net.node("a", "198.18.0.1", 1);
        TestNet.Node b = net.node("b", "198.18.0.2", 2);
        byte[] current = new byte[32];
        current[0] = 1;
        byte[] next = new byte[32];
        next[0] = 2;
        // a still prefers the current secret's key; b has moved on to the next one
        TestNet.pair(a, "10.0.0.1/32", b, "10.0.0.2/32", current);
        Peer aSideB = a.device.peers().get(0);
        aSideB.setAlternativePresharedKeys(java.util.List.of(next));
        b.device.peers().get(0).setPresharedKey(next);
        a.sendIp(SamplePackets.udp4("10.0.0.1", "10.0.0.2", 10));
        net.pump();
        // one round trip: the response authenticates under the alternative, which a adopts
        assertEquals(1, a.sentOfType(MessageType.INITIATION).size());
        assertEquals(1, b.tun.size());
        assertArrayEquals(next, aSideB.presharedKey());
        assertNull(aSideB.lastHandshakeFailure());
        // and keeps the old one as an alternative (for peers still on it)
        assertArrayEquals(current, aSideB.alternativePresharedKeys().get(0));
        // without the right key among the alternatives it fails as before
        byte[] other = new byte[32];
        other[0] = 3;
        b.device.peers().get(0).setPresharedKey(other);
        net.clock.advance(FakeClock.seconds(200));
        a.sendIp(SamplePackets.udp4("10.0.0.1", "10.0.0.2", 10));
        net.pump();
        assertTrue(aSideB.lastHandshakeFailure() != null && aSideB.lastHandshakeFailure().contains("pre-shared"));
    }

    @Test
    void aRequestedHandshakeRekeysAtOnceWithTheNewPresharedKeyAndKeepsTheSessionMeanwhile() {
        TestNet net = new TestNet(8);
        TestNet.Node a = net.node("a", "198.18.0.1", 1);
        TestNet.Node b = net.node("b", "198.18.0.2", 2);
        byte[] old = new byte[32];
        old[0] = 1;
        byte[] fresh = new byte[32];
        fresh[0] = 2;
        TestNet.pair(a, "10.0.0.1/32", b, "10.0.0.2/32", old);
        Peer aSideB = a.device.peers().get(0);
        Peer bSideA = b.device.peers().get(0);
        a.sendIp(SamplePackets.udp4("10.0.0.1", "10.0.0.2", 10));
        net.pump();
        Keypair first = aSideB.currentKeypair();
        assertNotNull(first);
        long firstHandshake = aSideB.lastHandshakeUnixNanos();

        // a moves to the new key first and asks for a handshake: b still answers with the old one
        net.runFor(seconds(6));
        aSideB.setPresharedKey(fresh);
        aSideB.initiateHandshake();
        net.runFor(millis(10));
        assertEquals(2, a.sentOfType(MessageType.INITIATION).size(), "sent at once, not at the next rekey");
        assertTrue(aSideB.lastHandshakeFailure().contains("pre-shared"));
        // the failed handshake left the session in place
        assertSame(first, aSideB.currentKeypair());
        a.sendIp(SamplePackets.udp4("10.0.0.1", "10.0.0.2", 10));
        net.pump();
        assertEquals(2, b.tun.size());

        // b follows; the retry 5 s later completes with the new key
        bSideA.setPresharedKey(fresh);
        net.runFor(seconds(6));
        assertEquals(3, a.sentOfType(MessageType.INITIATION).size());
        assertNull(aSideB.lastHandshakeFailure());
        assertTrue(aSideB.lastHandshakeUnixNanos() > firstHandshake);
        assertTrue(aSideB.currentKeypair() != first);

        // asked again within REKEY_TIMEOUT of the last initiation: it waits for the spacing, then goes
        net.runFor(seconds(1));
        aSideB.initiateHandshake();
        net.runFor(millis(10));
        assertEquals(3, a.sentOfType(MessageType.INITIATION).size());
        net.runFor(seconds(5));
        assertEquals(4, a.sentOfType(MessageType.INITIATION).size());
    }

    @Test
    void unknownPeerAndGarbageAreDroppedSilently() {
        TestNet net = new TestNet(4);
        TestNet.Node a = net.node("a", "198.18.0.1", 1);
        TestNet.Node b = net.node("b", "198.18.0.2", 2);
        TestNet.Node c = net.node("c", "198.18.0.3", 3);
        TestNet.pair(a, "10.0.0.1/32", b, "10.0.0.2/32", null);
        // c knows b, b does not know c
        c.device.addPeer(b.publicKey).setEndpoint(b.address);
        c.device.allowedIps().insert(io.cryptun.noise.allowedips.IpPrefix.parse("10.0.0.2/32"), c.device.peers().get(0));
        c.sendIp(SamplePackets.udp4("10.0.0.3", "10.0.0.2", 10));
        net.pump();
        assertTrue(b.sent.isEmpty());
        assertEquals(1, b.device.stats().drops(DropReason.INVALID_HANDSHAKE));
        byte[][] junk = {new byte[0], new byte[3], {1, 0, 0, 0}, {4, 0, 0, 0}, new byte[148], {1, 0, 0, 1}, {9, 0, 0, 0, 0}};
        junk[4][0] = 1;
        for (byte[] j : junk) {
            b.device.receive(b.worker, j.clone(), 0, j.length, a.address, b);
        }
        b.device.processHandshakes(b.worker, b);
        assertTrue(b.sent.isEmpty());
        assertEquals(1, b.device.stats().drops(DropReason.INVALID_MAC1));
    }

    @Test
    void initiationReplayAndFloodAreRefused() {
        TestNet net = new TestNet(5);
        TestNet.Node a = net.node("a", "198.18.0.1", 1);
        TestNet.Node b = net.node("b", "198.18.0.2", 2);
        TestNet.pair(a, "10.0.0.1/32", b, "10.0.0.2/32", null);
        a.sendIp(SamplePackets.udp4("10.0.0.1", "10.0.0.2", 10));
        byte[] initiation = a.sent.get(0).data().clone();
        net.pump();
        assertEquals(1, b.sentOfType(MessageType.RESPONSE).size());
        // the same initiation again: its timestamp is not newer
        net.clock.advance(seconds(1));
        b.device.receive(b.worker, initiation.clone(), 0, 148, a.address, b);
        b.device.processHandshakes(b.worker, b);
        assertEquals(1, b.device.stats().drops(DropReason.HANDSHAKE_REPLAY));
        assertEquals(1, b.sentOfType(MessageType.RESPONSE).size());
        // a fresh initiation 10 ms after the last accepted one is a flood
        net.clock.advance(seconds(5));
        a.device.outbound.sendHandshakeInitiation(a.device.peers().get(0), false, a.worker, a, net.clock.nanoTime());
        net.pump();
        assertEquals(2, b.sentOfType(MessageType.RESPONSE).size());
        net.clock.advance(millis(10));
        // forge the retry timing: a sends again (bypassing its own 5 s limit via a cookie-style force)
        Peer pa = a.device.peers().get(0);
        synchronized (pa) {
            pa.handshake.lastSentHandshake -= seconds(10);
        }
        net.clock.advance(millis(10)); // 20 ms after: still inside the flood window (<= 20 ms)
        a.device.outbound.sendHandshakeInitiation(pa, false, a.worker, a, net.clock.nanoTime());
        net.pump();
        assertEquals(1, b.device.stats().drops(DropReason.HANDSHAKE_FLOOD));
        assertEquals(2, b.sentOfType(MessageType.RESPONSE).size());
    }
}
