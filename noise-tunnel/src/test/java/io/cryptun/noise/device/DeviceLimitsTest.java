package io.cryptun.noise.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.noise.cookie.CookieGenerator;
import io.cryptun.noise.wire.InitiationMessage;
import io.cryptun.noise.wire.MessageType;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The protocol core's queues are bounded and count what they drop: packets waiting for a
 * handshake (MAX_STAGED_PACKETS per peer, the oldest go first) and handshake messages waiting for
 * the handshake worker (HANDSHAKE_QUEUE_SIZE, past which new ones are dropped; from
 * UNDER_LOAD_QUEUE_DEPTH on, the device is under load and answers mac2-less arrivals with cookie
 * replies instead of queueing them).
 */
class DeviceLimitsTest {

    @Test
    void packetsWaitingForAHandshakeAreCappedAndTheNewestSurvive() {
        TestNet net = new TestNet(31);
        TestNet.Node a = net.node("a", "198.18.0.1", 1);
        TestNet.Node b = net.node("b", "198.18.0.2", 2);
        TestNet.pair(a, "10.0.0.1/32", b, "10.0.0.2/32", null);
        net.loss = d -> true;
        int sent = Protocol.MAX_STAGED_PACKETS + 72;
        List<byte[]> packets = new ArrayList<>();
        for (int i = 0; i < sent; i++) {
            byte[] p = SamplePackets.udp4("10.0.0.1", "10.0.0.2", 16);
            p[28] = (byte) i;
            p[29] = (byte) (i >>> 8);
            packets.add(p);
            a.sendIp(p);
        }
        Peer aSideB = a.device.peers().get(0);
        assertEquals(Protocol.MAX_STAGED_PACKETS, aSideB.stagedPackets());
        assertEquals(sent - Protocol.MAX_STAGED_PACKETS, a.device.stats().drops(DropReason.STAGED_OVERFLOW));

        // once the network works and a handshake completes, the newest MAX_STAGED_PACKETS arrive, in order
        net.loss = d -> false;
        net.runFor(FakeClock.seconds(6));
        assertEquals(0, aSideB.stagedPackets());
        assertEquals(Protocol.MAX_STAGED_PACKETS, b.tun.size());
        for (int i = 0; i < Protocol.MAX_STAGED_PACKETS; i++) {
            assertArrayEquals(packets.get(sent - Protocol.MAX_STAGED_PACKETS + i), b.tun.get(i).data());
        }
    }

    @Test
    void theHandshakeQueueIsBoundedAndCountsItsDrops() {
        TestNet net = new TestNet(32);
        TestNet.Node a = net.node("a", "198.18.0.1", 1);
        // right-sized initiations with a valid mac1 (anyone who knows a's public key can make
        // them), faster than the worker drains them; "under load" held off so all are queued
        a.device.overrideUnderLoad(false);
        int flood = Protocol.HANDSHAKE_QUEUE_SIZE + 476;
        flood(a, flood, new CookieGenerator(a.publicKey), net.clock.nanoTime());
        assertEquals(Protocol.HANDSHAKE_QUEUE_SIZE, a.device.handshakeQueue().size());
        assertEquals(flood - Protocol.HANDSHAKE_QUEUE_SIZE, a.device.stats().drops(DropReason.HANDSHAKE_QUEUE_FULL));
        assertEquals(Protocol.HANDSHAKE_QUEUE_SIZE, a.device.processHandshakes(a.worker, a));
        assertEquals(0, a.device.handshakeQueue().size());
        assertEquals(Protocol.HANDSHAKE_QUEUE_SIZE, a.device.stats().drops(DropReason.INVALID_HANDSHAKE));
        assertTrue(a.sent.isEmpty(), "nothing answered");
    }

    @Test
    void underLoadAFloodIsAnsweredWithCookiesAndARealPeerStillGetsThrough() {
        TestNet net = new TestNet(33);
        TestNet.Node a = net.node("a", "198.18.0.1", 1);
        TestNet.Node b = net.node("b", "198.18.0.2", 2);
        TestNet.pair(a, "10.0.0.1/32", b, "10.0.0.2/32", null);
        int flood = Protocol.HANDSHAKE_QUEUE_SIZE + 476;
        flood(a, flood, new CookieGenerator(a.publicKey), net.clock.nanoTime());
        // from UNDER_LOAD_QUEUE_DEPTH queued on, arrivals without mac2 get a cookie reply instead of a place
        assertEquals(Protocol.UNDER_LOAD_QUEUE_DEPTH, a.device.handshakeQueue().size());
        assertEquals(flood - Protocol.UNDER_LOAD_QUEUE_DEPTH, a.device.stats().events(Stats.Event.COOKIE_REPLY_SENT));
        assertEquals(flood - Protocol.UNDER_LOAD_QUEUE_DEPTH, a.device.stats().drops(DropReason.COOKIE_REQUIRED));
        net.dropInFlight();
        a.device.processHandshakes(a.worker, a);
        net.dropInFlight();

        // still under load: a real peer is asked for a cookie, retries with it and gets through
        b.sendIp(SamplePackets.udp4("10.0.0.2", "10.0.0.1", 8));
        net.pump();
        assertEquals(1, b.device.stats().events(Stats.Event.COOKIE_REPLY_RECEIVED), "under load after the flood");
        assertEquals(1, a.tun.size(), "the legitimate packet arrived");
    }

    private static void flood(TestNet.Node target, int count, CookieGenerator stranger, long now) {
        for (int i = 0; i < count; i++) {
            byte[] m = new byte[InitiationMessage.SIZE];
            m[0] = MessageType.INITIATION;
            m[4] = (byte) i;
            m[5] = (byte) (i >>> 8);
            stranger.addMacs(m, 0, m.length, now);
            InetSocketAddress from = UdpReceiveFuzzTest.address("198.19." + (i >>> 8) + "." + (i & 0xff), 10000 + i);
            target.device.receive(target.worker, m, 0, m.length, from, target);
        }
    }
}
