package io.cryptun.noise.device;

import static io.cryptun.noise.device.FakeClock.millis;
import static io.cryptun.noise.device.FakeClock.seconds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.noise.session.Keypair;
import io.cryptun.noise.wire.InitiationMessage;
import io.cryptun.noise.wire.MessageType;
import io.cryptun.noise.wire.TransportMessage;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every timer rule of whitepaper section 6 (with wireguard-go's constants) on a fake clock: the
 * exact packets each side emits and the exact instants at which it emits them.
 */
class TimersTest {
    private static final long JITTER = millis(200);

    private TestNet net;
    private TestNet.Node a;
    private TestNet.Node b;

    private void setUp(long seed) {
        net = new TestNet(seed);
        a = net.node("a", "198.18.0.1", 51820, () -> JITTER);
        b = net.node("b", "198.18.0.2", 51821, () -> JITTER);
        TestNet.pair(a, "10.0.0.1/32", b, "10.0.0.2/32", null);
    }

    private Peer peerOf(TestNet.Node n) {
        return n.device.peers().get(0);
    }

    private static List<Long> times(List<TestNet.Datagram> ds) {
        List<Long> t = new ArrayList<>();
        for (TestNet.Datagram d : ds) {
            t.add(d.at());
        }
        return t;
    }

    /** Establishes a session with a as initiator; returns the instant it completed. */
    private long establish() {
        a.sendIp(SamplePackets.udp4("10.0.0.1", "10.0.0.2", 20));
        net.pump();
        assertNotNull(peerOf(a).currentKeypair());
        assertNotNull(peerOf(b).currentKeypair(), "b confirmed the session with a's first packet");
        return net.clock.nanoTime();
    }

    @Test
    void retransmitsEveryRekeyTimeoutPlusJitterThenGivesUpAndDropsQueuedPackets() {
        setUp(11);
        net.loss = d -> d.from() == a; // b never hears a
        long t0 = net.clock.nanoTime();
        a.sendIp(SamplePackets.udp4("10.0.0.1", "10.0.0.2", 20));
        a.sendIp(SamplePackets.udp4("10.0.0.1", "10.0.0.2", 21));
        assertEquals(2, peerOf(a).stagedPackets());
        net.runFor(seconds(200));
        List<TestNet.Datagram> inits = a.sentOfType(MessageType.INITIATION);
        // the first initiation and 19 retries: 20 attempts, 5.2 s apart
        assertEquals(Protocol.MAX_TIMER_HANDSHAKES + 2, inits.size());
        for (int i = 0; i < inits.size(); i++) {
            assertEquals(t0 + i * (Protocol.REKEY_TIMEOUT + JITTER), inits.get(i).at(), "attempt " + i);
        }
        // each retry is a new handshake: a new sender index every time
        Set<Integer> senders = new HashSet<>();
        for (TestNet.Datagram d : inits) {
            senders.add(InitiationMessage.sender(d.data(), 0));
        }
        assertEquals(inits.size(), senders.size());
        // given up one interval after the last attempt: queued packets dropped, no more initiations
        assertEquals(0, peerOf(a).stagedPackets());
        assertEquals(2, a.device.stats().drops(DropReason.HANDSHAKE_TIMEOUT));
        assertTrue(a.sentOfType(MessageType.TRANSPORT).isEmpty());
        // new traffic starts a fresh round
        a.sendIp(SamplePackets.udp4("10.0.0.1", "10.0.0.2", 20));
        assertEquals(inits.size() + 1, a.sentOfType(MessageType.INITIATION).size());
        assertEquals(t0 + seconds(200), a.sentOfType(MessageType.INITIATION).get(inits.size()).at());
    }

    @Test
    void keepaliveTenSecondsAfterReceivingDataWhenNothingWasSent() {
        setUp(12);
        long t = establish();
        // b received a's data at t and has sent nothing since: b sends a keepalive at t + 10 s
        int before = b.sentOfType(MessageType.TRANSPORT).size();
        net.runFor(seconds(30));
        List<TestNet.Datagram> bTransport = b.sentOfType(MessageType.TRANSPORT);
        assertEquals(before + 1, bTransport.size());
        TestNet.Datagram keepalive = bTransport.get(bTransport.size() - 1);
        assertEquals(TransportMessage.KEEPALIVE_SIZE, keepalive.data().length);
        assertEquals(t + Protocol.KEEPALIVE_TIMEOUT, keepalive.at());
        // a, which only received that keepalive (not data), sends no keepalive back
        assertEquals(1, a.sentOfType(MessageType.TRANSPORT).size());
    }

    @Test
    void noKeepaliveWhenDataWasSentInTime() {
        setUp(13);
        long t = establish();
        net.clock.advance(seconds(4));
        b.sendIp(SamplePackets.udp4("10.0.0.2", "10.0.0.1", 30));
        net.runFor(seconds(30));
        for (TestNet.Datagram d : b.sentOfType(MessageType.TRANSPORT)) {
            assertNotEquals(TransportMessage.KEEPALIVE_SIZE, d.data().length, "b sent data, so no keepalive was due");
        }
        // ... but a got data at t+4 s and answers it with a keepalive at t+14 s
        TestNet.Datagram last = a.sentOfType(MessageType.TRANSPORT).get(a.sentOfType(MessageType.TRANSPORT).size() - 1);
        assertEquals(TransportMessage.KEEPALIVE_SIZE, last.data().length);
        assertEquals(t + seconds(14), last.at());
    }

    @Test
    void newHandshakeFifteenSecondsAfterSendingWithoutAnswer() {
        setUp(14);
        long t = establish();
        net.clock.advance(seconds(1));
        long sentAt = net.clock.nanoTime();
        net.loss = d -> d.from() == b; // b goes silent
        a.sendIp(SamplePackets.udp4("10.0.0.1", "10.0.0.2", 20));
        net.runFor(seconds(20));
        List<TestNet.Datagram> inits = a.sentOfType(MessageType.INITIATION);
        assertEquals(3, inits.size());
        // the first data packet at t set the timer; the second did not push it back
        assertEquals(t + Protocol.KEEPALIVE_TIMEOUT + Protocol.REKEY_TIMEOUT + JITTER, inits.get(1).at());
        assertTrue(inits.get(1).at() < sentAt + Protocol.KEEPALIVE_TIMEOUT + Protocol.REKEY_TIMEOUT);
        // and that handshake, unanswered, is retransmitted on its own timer
        assertEquals(inits.get(1).at() + Protocol.REKEY_TIMEOUT + JITTER, inits.get(2).at());
    }

    @Test
    void initiatorRekeysAfterRekeyAfterTimeOnSend() {
        setUp(15);
        long t = establish();
        Keypair first = peerOf(a).currentKeypair();
        net.runUntil(t + Protocol.REKEY_AFTER_TIME);
        assertEquals(1, a.sentOfType(MessageType.INITIATION).size());
        net.clock.advance(1);
        a.sendIp(SamplePackets.udp4("10.0.0.1", "10.0.0.2", 20));
        // the packet still goes out on the old session, and an initiation follows it at once
        List<TestNet.Datagram> sent = a.sent;
        assertEquals(MessageType.TRANSPORT, sent.get(sent.size() - 2).type());
        assertEquals(MessageType.INITIATION, sent.get(sent.size() - 1).type());
        assertEquals(t + Protocol.REKEY_AFTER_TIME + 1, sent.get(sent.size() - 1).at());
        net.pump();
        assertNotSame(first, peerOf(a).currentKeypair());
        assertSame(first, peerOf(a).previousKeypair());
    }

    @Test
    void aShorterRekeyIntervalForSoakTestsRekeysThatOften() {
        net = new TestNet(24);
        a = net.nodeWith("a", "198.18.0.1", 51820, b2 -> b2.jitter(() -> JITTER).rekeyAfterTimeForTesting(seconds(10)));
        b = net.node("b", "198.18.0.2", 51821, () -> JITTER);
        TestNet.pair(a, "10.0.0.1/32", b, "10.0.0.2/32", null);
        long t = establish();
        for (int i = 0; i < 60; i++) {
            net.runFor(seconds(1));
            a.sendIp(SamplePackets.udp4("10.0.0.1", "10.0.0.2", 20));
            net.pump();
        }
        // a session every ~10 s: 6 in 60 s (the first, then 5 rekeys), and no packet lost doing it
        assertTrue(a.sentOfType(MessageType.INITIATION).size() >= 6, "" + a.sentOfType(MessageType.INITIATION).size());
        assertEquals(61, b.tun.size());
        assertTrue(t > 0);
    }

    @Test
    void responderDoesNotRekeyOnTimeButStopsUsingTheSessionAfterRejectAfterTime() {
        setUp(16);
        long t = establish();
        // the network goes dark, so no new session can replace this one
        net.loss = d -> true;
        net.runUntil(t + seconds(170));
        b.sendIp(SamplePackets.udp4("10.0.0.2", "10.0.0.1", 20));
        assertTrue(b.sentOfType(MessageType.INITIATION).isEmpty(), "the responder does not rekey on age");
        net.runUntil(t + Protocol.REJECT_AFTER_TIME);
        net.loss = d -> false;
        int transports = b.sentOfType(MessageType.TRANSPORT).size();
        b.sendIp(SamplePackets.udp4("10.0.0.2", "10.0.0.1", 20));
        // at REJECT_AFTER_TIME the session may not carry data: the packet waits, a handshake starts
        assertEquals(transports, b.sentOfType(MessageType.TRANSPORT).size());
        assertEquals(1, b.sentOfType(MessageType.INITIATION).size());
        assertEquals(t + Protocol.REJECT_AFTER_TIME, b.sentOfType(MessageType.INITIATION).get(0).at());
        net.pump();
        // b initiated: its new session is usable at once and the staged packet went out on it
        assertEquals(transports + 1, b.sentOfType(MessageType.TRANSPORT).size());
    }

    @Test
    void initiatorReceivingNearRejectTimeRekeysOnce() {
        setUp(17);
        long t = establish();
        net.runUntil(t + Protocol.REKEY_ON_RECEIVE_AFTER + 1);
        int inits = a.sentOfType(MessageType.INITIATION).size();
        net.loss = d -> d.type() != MessageType.TRANSPORT; // keep the old session
        b.sendIp(SamplePackets.udp4("10.0.0.2", "10.0.0.1", 20));
        net.pump();
        assertEquals(inits + 1, a.sentOfType(MessageType.INITIATION).size());
        assertEquals(t + Protocol.REKEY_ON_RECEIVE_AFTER + 1, a.sentOfType(MessageType.INITIATION).get(inits).at());
        net.clock.advance(seconds(6));
        b.sendIp(SamplePackets.udp4("10.0.0.2", "10.0.0.1", 20));
        net.pump();
        // only once per session ("sentLastMinuteHandshake"); the retransmit timer is separate
        long viaReceive = 0;
        for (TestNet.Datagram d : a.sentOfType(MessageType.INITIATION)) {
            if (d.at() == net.clock.nanoTime()) {
                viaReceive++;
            }
        }
        assertEquals(0, viaReceive);
    }

    @Test
    void persistentKeepaliveEveryIntervalOfIdleness() {
        setUp(18);
        long t = establish();
        peerOf(b).setPersistentKeepalive(25);
        // turning it on sends one at once
        net.runFor(0);
        List<Long> keepalives = new ArrayList<>();
        net.runFor(seconds(100));
        for (TestNet.Datagram d : b.sentOfType(MessageType.TRANSPORT)) {
            if (d.data().length == TransportMessage.KEEPALIVE_SIZE) {
                keepalives.add(d.at());
            }
        }
        assertEquals(t, keepalives.get(0));
        // then every 25 s after the last authenticated packet in either direction; a's keepalive
        // in answer to nothing does not come, so it is b's own rhythm
        for (int i = 1; i < keepalives.size(); i++) {
            assertEquals(keepalives.get(i - 1) + seconds(25), keepalives.get(i), "keepalive " + i);
        }
        assertTrue(keepalives.size() >= 4);
    }

    @Test
    void keysZeroedAfterThreeTimesRejectAfterTimeWithoutNewSession() {
        setUp(19);
        long t = establish();
        Keypair ka = peerOf(a).currentKeypair();
        Keypair kb = peerOf(b).currentKeypair();
        net.loss = d -> true; // silence: no rekey can complete
        net.runUntil(t + Protocol.ZERO_KEYS_AFTER - 1);
        assertFalse(ka.keysZeroed());
        assertNotNull(peerOf(b).currentKeypair());
        net.runUntil(t + Protocol.ZERO_KEYS_AFTER);
        assertTrue(kb.keysZeroed());
        assertNull(peerOf(b).currentKeypair());
        assertTrue(ka.keysZeroed());
        assertNull(peerOf(a).currentKeypair());
        assertEquals(1, b.device.stats().events(Stats.Event.KEYS_ZEROED));
    }

    @Test
    void rekeyAfterMessagesAndRejectAfterMessages() {
        setUp(20);
        establish();
        Keypair kb = peerOf(b).currentKeypair();
        // b sent its response just now: one handshake per REKEY_TIMEOUT, so let that pass
        net.clock.advance(Protocol.REKEY_TIMEOUT);
        // the responder too rekeys when its counter passes REKEY_AFTER_MESSAGES
        kb.setSendCounterForTesting(Protocol.REKEY_AFTER_MESSAGES + 1);
        b.sendIp(SamplePackets.udp4("10.0.0.2", "10.0.0.1", 20));
        assertEquals(1, b.sentOfType(MessageType.INITIATION).size());
        net.dropInFlight();
        // the last usable counter is REJECT_AFTER_MESSAGES - 1; after that the session carries nothing
        Keypair ka = peerOf(a).currentKeypair();
        ka.setSendCounterForTesting(Protocol.REJECT_AFTER_MESSAGES - 1);
        int before = a.sentOfType(MessageType.TRANSPORT).size();
        a.sendIp(SamplePackets.udp4("10.0.0.1", "10.0.0.2", 20));
        assertEquals(before + 1, a.sentOfType(MessageType.TRANSPORT).size());
        TestNet.Datagram last = a.sentOfType(MessageType.TRANSPORT).get(before);
        assertEquals(Protocol.REJECT_AFTER_MESSAGES - 1, TransportMessage.counter(last.data(), 0));
        net.clock.advance(seconds(6));
        a.sendIp(SamplePackets.udp4("10.0.0.1", "10.0.0.2", 20));
        assertEquals(before + 1, a.sentOfType(MessageType.TRANSPORT).size());
        assertEquals(1, peerOf(a).stagedPackets());
    }

    @Test
    void cookieReplyUnderLoadThenImmediateRetryWithMac2() {
        setUp(21);
        b.device.overrideUnderLoad(true);
        long t0 = net.clock.nanoTime();
        a.sendIp(SamplePackets.udp4("10.0.0.1", "10.0.0.2", 20));
        net.pump();
        assertEquals(1, b.sentOfType(MessageType.COOKIE_REPLY).size());
        assertEquals(64, b.sentOfType(MessageType.COOKIE_REPLY).get(0).data().length);
        List<TestNet.Datagram> inits = a.sentOfType(MessageType.INITIATION);
        assertEquals(2, inits.size());
        // first without mac2, the retry with mac2, sent at the same instant, not 5 s later
        assertTrue(isZero(inits.get(0).data(), InitiationMessage.OFF_MAC2, 16));
        assertFalse(isZero(inits.get(1).data(), InitiationMessage.OFF_MAC2, 16));
        assertEquals(t0, inits.get(1).at());
        assertNotNull(peerOf(a).currentKeypair());
        assertEquals(1, b.tun.size());
        assertEquals(1, b.device.stats().drops(DropReason.COOKIE_REQUIRED));
    }

    @Test
    void crossingInitiationsConvergeWithinOneRetransmission() {
        // two jitters, as random jitter gives in practice (equal ones would cross forever)
        net = new TestNet(23);
        a = net.node("a", "198.18.0.1", 51820, () -> millis(10));
        b = net.node("b", "198.18.0.2", 51821, () -> millis(250));
        TestNet.pair(a, "10.0.0.1/32", b, "10.0.0.2/32", null);
        long t0 = net.clock.nanoTime();
        // both sides start a handshake at the same instant; each answers the other's initiation,
        // which makes each forget its own, so both responses are refused
        a.sendIp(SamplePackets.udp4("10.0.0.1", "10.0.0.2", 20));
        b.sendIp(SamplePackets.udp4("10.0.0.2", "10.0.0.1", 20));
        // the response each sends arrives a little later than its initiation
        net.clock.advance(millis(30));
        net.pump();
        assertNull(peerOf(a).currentKeypair());
        assertNull(peerOf(b).currentKeypair());
        // a retransmission due 5.2 s after the initiation is held 30 ms behind the response: it
        // goes at response + 5 s + jitter, and the handshake completes without any traffic
        net.runUntil(t0 + seconds(6));
        assertNotNull(peerOf(a).currentKeypair());
        assertNotNull(peerOf(b).currentKeypair());
        assertEquals(1, a.tun.size());
        assertEquals(1, b.tun.size());
        // a's retransmission (due at 5.01 s) waited for REKEY_TIMEOUT after its response (at 30 ms)
        List<TestNet.Datagram> inits = a.sentOfType(MessageType.INITIATION);
        assertEquals(t0 + millis(30) + Protocol.REKEY_TIMEOUT + millis(10), inits.get(1).at());
    }

    @Test
    void interfaceDownSendsNothingAndDropsSessionsThenComesBack() {
        setUp(22);
        long t = establish();
        peerOf(b).setPersistentKeepalive(25);
        net.runFor(seconds(1));
        Keypair ka = peerOf(a).currentKeypair();
        int sentByA = a.sent.size();
        int sentByB = b.sent.size();
        a.device.setUp(false);
        b.device.setUp(false);
        assertTrue(ka.keysZeroed(), "down drops sessions and zeroes their keys");
        assertNull(peerOf(a).currentKeypair());
        a.sendIp(SamplePackets.udp4("10.0.0.1", "10.0.0.2", 20));
        net.runFor(seconds(600));
        assertEquals(sentByA, a.sent.size(), "a down interface sends nothing, not even on timers");
        assertEquals(sentByB, b.sent.size());
        assertEquals(1, a.device.stats().drops(DropReason.INTERFACE_DOWN));
        // up again: b's persistent keepalive starts a handshake at once, and traffic flows
        a.device.setUp(true);
        b.device.setUp(true);
        long upAt = net.clock.nanoTime();
        net.runFor(0);
        assertEquals(upAt, b.sentOfType(MessageType.INITIATION).get(b.sentOfType(MessageType.INITIATION).size() - 1).at());
        assertNotNull(peerOf(b).currentKeypair());
        a.sendIp(SamplePackets.udp4("10.0.0.1", "10.0.0.2", 20));
        net.pump();
        assertEquals(2, b.tun.size());
        assertTrue(t > 0);
    }

    /**
     * A sink for a that, when a sends a datagram of {@code type}, delivers everything in flight
     * before returning: the answer is processed while the sending thread is still inside its send
     * call, the order a real socket and a busy machine can produce on another thread.
     */
    private PacketSink answeredBeforeSendReturns(int type) {
        return new PacketSink() {
            private boolean inside;

            @Override
            public boolean sendDatagram(java.net.InetSocketAddress to, byte[] buf, int off, int len) {
                boolean ok = a.sendDatagram(to, buf, off, len);
                if (!inside && MessageType.of(buf, off, len) == type) {
                    inside = true;
                    net.pump();
                    inside = false;
                }
                return ok;
            }

            @Override
            public void writeTun(byte[] buf, int off, int len) {
                a.writeTun(buf, off, len);
            }
        };
    }

    private void sendFromA(byte[] packet, PacketSink sink) {
        byte[] buf = new byte[Protocol.HEADROOM + packet.length + Protocol.TAILROOM];
        System.arraycopy(packet, 0, buf, Protocol.HEADROOM, packet.length);
        a.device.sendPacket(new Worker(io.cryptun.noise.crypto.TransportCipher.create("bc")), buf, Protocol.HEADROOM,
                packet.length, sink);
    }

    @Test
    void aRekeyAnsweredBeforeItsSendReturnsIsNotRetransmitted() {
        setUp(22);
        establish();
        net.clock.advance(Protocol.REKEY_AFTER_TIME + seconds(1));
        // this packet makes a rekey; the response is consumed before the initiation's send returns
        sendFromA(SamplePackets.udp4("10.0.0.1", "10.0.0.2", 20), answeredBeforeSendReturns(MessageType.INITIATION));
        assertEquals(2, a.sentOfType(MessageType.INITIATION).size());
        assertEquals(2, b.device.stats().events(Stats.Event.SESSION_ESTABLISHED));
        net.runFor(seconds(30));
        assertEquals(2, a.sentOfType(MessageType.INITIATION).size(), "a completed handshake is not retried 5 s later");
    }

    @Test
    void dataAnsweredBeforeItsSendReturnsDoesNotLeadToANewHandshake() {
        setUp(24);
        establish();
        net.clock.advance(seconds(1));
        // b echoes what it receives, at once
        net.onTun = (node, p) -> {
            if (node == b) {
                b.sendIp(SamplePackets.udp4("10.0.0.2", "10.0.0.1", 20));
            }
        };
        sendFromA(SamplePackets.udp4("10.0.0.1", "10.0.0.2", 20), answeredBeforeSendReturns(MessageType.TRANSPORT));
        net.onTun = (node, p) -> { };
        assertEquals(2, b.tun.size(), "b got the packet");
        assertEquals(1, a.tun.size(), "a got the echo");
        net.runFor(seconds(30));
        assertEquals(1, a.sentOfType(MessageType.INITIATION).size(),
                "a heard back, so no \"stopped hearing back\" handshake 15 s later");
    }

    private static boolean isZero(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static void assertNotSame(Object x, Object y) {
        assertFalse(x == y);
    }
}
