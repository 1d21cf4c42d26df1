package io.cryptun.noise.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.noise.cookie.CookieGenerator;
import io.cryptun.noise.cookie.RateLimiter;
import io.cryptun.noise.crypto.Blake2s;
import io.cryptun.noise.handshake.WireGuardNoise;
import io.cryptun.noise.wire.InitiationMessage;
import io.cryptun.noise.wire.MessageType;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A responder flooded with handshake initiations: junk and, under load, messages without mac2
 * are dealt with on receipt and never take a place in the bounded handshake queue, so a
 * legitimate initiator's message always finds room and completes at once (with one cookie round
 * trip), however far the flood outruns the handshake worker.
 */
class HandshakeFloodTest {
    private final TestNet net = new TestNet(31);
    private final TestNet.Node a = net.node("a", "198.18.0.1", 51820);
    private final TestNet.Node b = net.node("b", "198.18.0.2", 51821);
    private final Random random = new Random(5);

    HandshakeFloodTest() {
        TestNet.pair(a, "10.0.0.1/32", b, "10.0.0.2/32", null);
    }

    /**
     * Four attacking hosts, each message from another port: every message is a source of its own for
     * the per-(IP, port) cookie-reply budget, so these floods are answered in full (issue 11's flood
     * from one port is {@link #aFloodFromThePeersOwnAddressIsAnsweredWithinThatPortsBudget}).
     */
    private static InetSocketAddress attacker(int i) {
        return new InetSocketAddress(attackerHost(i % 4), 1024 + i % 60_000);
    }

    private static InetAddress attackerHost(int h) {
        try {
            return InetAddress.getByName("198.18.0." + (101 + h));
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private long cookieRepliesToHost(InetAddress host) {
        return b.sentOfType(MessageType.COOKIE_REPLY).stream().filter(d -> d.to().getAddress().equals(host)).count();
    }

    /** Random content with a valid mac1 for b: passes the first check, fails everything after. */
    private byte[] floodInitiation(int sender) {
        byte[] m = new byte[InitiationMessage.SIZE];
        random.nextBytes(m);
        InitiationMessage.writeHeader(m, 0, sender);
        byte[] key = WireGuardNoise.labelKey(WireGuardNoise.LABEL_MAC1, b.publicKey);
        Blake2s.mac(key, m, 0, InitiationMessage.OFF_MAC1, m, InitiationMessage.OFF_MAC1);
        java.util.Arrays.fill(m, InitiationMessage.OFF_MAC2, InitiationMessage.SIZE, (byte) 0);
        return m;
    }

    private void deliverToB(byte[] msg, InetSocketAddress from) {
        b.device.receive(b.worker, msg.clone(), 0, msg.length, from, b);
    }

    private long cookieRepliesTo(InetSocketAddress to) {
        return b.sentOfType(MessageType.COOKIE_REPLY).stream().filter(d -> d.to().equals(to)).count();
    }

    /** a sends one packet to b; the handshake it needs completes within one pump, at the same instant. */
    private void assertLegitimateHandshakeCompletesAtOnce() {
        long t0 = net.clock.nanoTime();
        a.sendIp(SamplePackets.udp4("10.0.0.1", "10.0.0.2", 20));
        net.pump();
        assertNotNull(a.device.peers().get(0).currentKeypair(), "a's handshake completed");
        assertEquals(1, b.tun.size(), "a's packet reached b");
        assertEquals(t0, b.tun.get(0).at(), "without waiting for a retransmission");
    }

    @Test
    void junkWithoutValidMac1NeverTakesAPlaceInTheQueue() {
        for (int i = 0; i < 3 * Protocol.HANDSHAKE_QUEUE_SIZE; i++) {
            byte[] junk = new byte[InitiationMessage.SIZE];
            random.nextBytes(junk);
            InitiationMessage.writeHeader(junk, 0, i);
            deliverToB(junk, attacker(i));
        }
        assertEquals(0, b.device.handshakeQueue().size());
        assertEquals(3 * Protocol.HANDSHAKE_QUEUE_SIZE, b.device.stats().drops(DropReason.INVALID_MAC1));
        assertEquals(0, b.device.stats().drops(DropReason.HANDSHAKE_QUEUE_FULL));
        assertEquals(0, b.sent.size(), "junk is never answered");

        assertLegitimateHandshakeCompletesAtOnce();
        assertEquals(0, b.sentOfType(MessageType.COOKIE_REPLY).size(), "b was never under load");
    }

    @Test
    void floodWithValidMac1IsAnsweredWithCookiesOnReceiptAndTheQueueKeepsRoom() {
        int flood = 5 * Protocol.HANDSHAKE_QUEUE_SIZE;
        for (int i = 0; i < flood; i++) {
            deliverToB(floodInitiation(i), attacker(i));
        }
        // the first messages queue up to the under-load depth; from then on each is answered on receipt
        int queued = Protocol.UNDER_LOAD_QUEUE_DEPTH;
        assertEquals(queued, b.device.handshakeQueue().size());
        assertEquals(flood - queued, b.device.stats().drops(DropReason.COOKIE_REQUIRED));
        assertEquals(flood - queued, b.sentOfType(MessageType.COOKIE_REPLY).size());
        assertEquals(0, b.device.stats().drops(DropReason.HANDSHAKE_QUEUE_FULL));

        // a's initiation is answered with a cookie at once, a retries with mac2 at once, and b takes it
        assertLegitimateHandshakeCompletesAtOnce();
        List<TestNet.Datagram> inits = a.sentOfType(MessageType.INITIATION);
        assertEquals(2, inits.size(), "the first initiation and the immediate retry with mac2");
        assertEquals(1, cookieRepliesTo(a.address));
        // the queued flood messages met the load when processed: cookie replies, never a Diffie-Hellman
        for (int h = 0; h < 4; h++) {
            assertEquals(flood / 4, cookieRepliesToHost(attackerHost(h)));
        }
        assertEquals(0, b.device.stats().drops(DropReason.INVALID_HANDSHAKE));
        assertEquals(flood + 1, b.device.stats().drops(DropReason.COOKIE_REQUIRED));
    }

    @Test
    void initiationsWithAValidMac2MeetTheRateLimiterOnReceipt() {
        b.device.overrideUnderLoad(true);
        InetSocketAddress from = attacker(0);
        // the attacker owns its address, so it can get a cookie and compute valid mac2s
        CookieGenerator macs = new CookieGenerator(b.publicKey);
        byte[] first = floodInitiation(0);
        macs.addMacs(first, 0, first.length, net.clock.nanoTime());
        deliverToB(first, from);
        assertEquals(1, cookieRepliesTo(from));
        byte[] reply = b.sentOfType(MessageType.COOKIE_REPLY).get(0).data();
        assertTrue(macs.consumeReply(reply, 0, net.clock.nanoTime()));

        int burst = 50;
        for (int i = 1; i <= burst; i++) {
            byte[] m = floodInitiation(i);
            macs.addMacs(m, 0, m.length, net.clock.nanoTime());
            deliverToB(m, from);
        }
        assertEquals(RateLimiter.PACKETS_BURSTABLE, b.device.handshakeQueue().size(), "only the burst is queued");
        assertEquals(burst - RateLimiter.PACKETS_BURSTABLE, b.device.stats().drops(DropReason.RATE_LIMITED));
        assertEquals(1, cookieRepliesTo(from), "valid mac2s are not answered with cookies");

        // a, from another address, is not held back by the attacker's spent budget
        assertLegitimateHandshakeCompletesAtOnce();
        // the admitted five were random inside: they fail the handshake itself
        assertEquals(RateLimiter.PACKETS_BURSTABLE, b.device.stats().drops(DropReason.INVALID_HANDSHAKE));
    }

    /**
     * Issue 11: a flood from the legitimate peer's own IP address, one other port. That port gets
     * its burst of cookie replies and then one every 50 ms; the rest is dropped after the mac checks,
     * without a cookie, seal or send. The peer's own port keeps its budget: its initiation is
     * answered with a cookie at once and its retry with mac2 accepted.
     */
    @Test
    void aFloodFromThePeersOwnAddressIsAnsweredWithinThatPortsBudget() throws Exception {
        b.device.overrideUnderLoad(true);
        InetSocketAddress flooder = new InetSocketAddress(a.address.getAddress(), 40000);
        int flood = 10_000;
        for (int i = 0; i < flood; i++) {
            deliverToB(floodInitiation(i), flooder);
        }
        int burst = io.cryptun.noise.cookie.CookieReplyLimiter.REPLIES_BURSTABLE;
        assertEquals(burst, cookieRepliesTo(flooder), "the flooding port's burst, then nothing at this instant");
        assertEquals(flood - burst, b.device.stats().drops(DropReason.COOKIE_REPLY_LIMITED));
        net.clock.advance(FakeClock.millis(100));
        for (int i = 0; i < flood; i++) {
            deliverToB(floodInitiation(i), flooder);
        }
        assertEquals(burst + 2, cookieRepliesTo(flooder), "one more reply per 50 ms");

        assertLegitimateHandshakeCompletesAtOnce();
        assertEquals(1, cookieRepliesTo(a.address), "the peer's own port got its cookie");
        assertEquals(2, a.sentOfType(MessageType.INITIATION).size(), "the first initiation and the retry with mac2");
    }

    /** Sends about {@code perSecond} flood initiations a second for {@code seconds}, in ten batches a second; returns how many. */
    private int floodFor(double seconds, int perSecond) {
        int batches = (int) Math.round(seconds * 10);
        int sent = 0;
        for (int t = 0; t < batches; t++) {
            for (int i = 0; i < perSecond / 10; i++) {
                deliverToB(floodInitiation(i), attacker(i));
                sent++;
            }
            net.pump();
            net.clock.advance(FakeClock.millis(100));
        }
        return sent;
    }

    @Test
    void aSustainedFloodKeepsTheLoadStateThoughTheQueueStaysShort() {
        for (int i = 0; i < 2 * Protocol.UNDER_LOAD_QUEUE_DEPTH; i++) {
            deliverToB(floodInitiation(i), attacker(i));
        }
        net.pump();
        // from the trigger on, twice the queue depth a second for ten seconds: every message gets
        // a cookie, none a Diffie-Hellman, though the queue never fills again
        int sent = floodFor(10, 2 * Protocol.UNDER_LOAD_QUEUE_DEPTH);
        assertEquals(0, b.device.stats().drops(DropReason.INVALID_HANDSHAKE));
        assertEquals(2 * Protocol.UNDER_LOAD_QUEUE_DEPTH + sent, b.device.stats().drops(DropReason.COOKIE_REQUIRED));

        // a legitimate peer now goes through the cookie
        assertLegitimateHandshakeCompletesAtOnce();
        assertEquals(2, a.sentOfType(MessageType.INITIATION).size());
    }

    @Test
    void theLoadStateEndsASecondAfterTheFloodFallsBelowTheQueueDepthPerSecond() {
        for (int i = 0; i < 2 * Protocol.UNDER_LOAD_QUEUE_DEPTH; i++) {
            deliverToB(floodInitiation(i), attacker(i));
        }
        net.pump();
        // half the queue depth a second is no load: after a second it goes to the handshake worker
        int sent = floodFor(3, Protocol.UNDER_LOAD_QUEUE_DEPTH / 2);
        long cookies = b.device.stats().drops(DropReason.COOKIE_REQUIRED);
        long handshakes = b.device.stats().drops(DropReason.INVALID_HANDSHAKE);
        assertEquals(2 * Protocol.UNDER_LOAD_QUEUE_DEPTH + sent, cookies + handshakes);
        // the state lasted one second past the trigger (the first ten batches), not longer
        assertEquals(2 * Protocol.UNDER_LOAD_QUEUE_DEPTH + sent / 3, cookies);
        // and a legitimate peer needs no cookie
        assertLegitimateHandshakeCompletesAtOnce();
        assertEquals(1, a.sentOfType(MessageType.INITIATION).size());
        assertEquals(0, cookieRepliesTo(a.address));
    }
}
