package io.cryptun.noise.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.noise.crypto.Keys;
import io.cryptun.noise.crypto.X25519Keys;
import io.cryptun.noise.handshake.IkHandshake;
import io.cryptun.noise.wire.InitiationMessage;
import io.cryptun.noise.wire.MessageType;
import io.cryptun.noise.wire.ResponseMessage;
import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Handshake work done ahead on the timer thread ({@link PreparedHandshakes}): the first packet's
 * initiation goes out with the message A prepared when the peer was configured, the response with
 * the spare ephemeral key, and the handshakes made so complete as any other, whatever changed in
 * between (pre-shared key, private key); what a preparation holds is zeroed when it is dropped.
 */
class PreparedHandshakesTest {
    private static final byte[] PING = SamplePackets.udp4("10.0.0.1", "10.0.0.2", 8);

    @Test
    void theFirstInitiationIsTheOnePreparedWhenThePeerWasConfigured() {
        TestNet net = new TestNet(61);
        TestNet.Node a = net.node("a", "198.18.0.1", 1);
        TestNet.Node b = net.node("b", "198.18.0.2", 2);
        TestNet.pair(a, "10.0.0.1/32", b, "10.0.0.2/32", null);
        Peer aSideB = a.device.peers().get(0);
        assertNull(aSideB.handshake.prepared, "prepared on the timer thread, not while configuring");
        assertTrue(a.device.nextTimerDeadline() <= net.clock.nanoTime(), "the timer thread is due at once");

        a.device.tick(a.worker, a);
        IkHandshake prepared = aSideB.handshake.prepared;
        assertNotNull(prepared);
        byte[] prefix = aSideB.handshake.preparedPrefix.clone();

        a.sendIp(PING);
        List<TestNet.Datagram> initiations = a.sentOfType(MessageType.INITIATION);
        assertEquals(1, initiations.size());
        byte[] sent = initiations.get(0).data();
        assertArrayEquals(prefix, Arrays.copyOfRange(sent, InitiationMessage.OFF_NOISE,
                InitiationMessage.OFF_NOISE + IkHandshake.MESSAGE_A_PREFIX), "ephemeral and static as prepared");
        assertNull(aSideB.handshake.prepared, "a prepared message A is used once");
        assertTrue(aSideB.handshake.noise == prepared, "the prepared handshake is the one in flight");

        net.pump();
        assertNotNull(aSideB.currentKeypair(), "the handshake completes");
        assertEquals(1, b.tun.size(), "the waiting packet arrives");
    }

    @Test
    void theResponseUsesTheSpareEphemeralKey() throws Exception {
        TestNet net = new TestNet(62);
        TestNet.Node a = net.node("a", "198.18.0.1", 1);
        TestNet.Node b = net.node("b", "198.18.0.2", 2);
        TestNet.pair(a, "10.0.0.1/32", b, "10.0.0.2/32", null);
        b.device.tick(b.worker, b);
        PreparedHandshakes.KeyPair spare = spare(b.device).get();
        assertNotNull(spare, "made when the private key was set");
        byte[] sparePublic = spare.publicKey().clone();
        byte[] se = spare.seFor(b.device.peers().get(0));
        assertNotNull(se, "DH(e, S_a) made ahead: a is one of b's few peers");
        byte[] expected = new byte[32];
        X25519Keys.sharedSecret(spare.privateKey(), a.publicKey, expected);
        assertArrayEquals(expected, se);

        a.sendIp(PING);
        net.pump();
        List<TestNet.Datagram> responses = b.sentOfType(MessageType.RESPONSE);
        assertEquals(1, responses.size());
        assertArrayEquals(sparePublic, Arrays.copyOfRange(responses.get(0).data(), ResponseMessage.OFF_NOISE,
                ResponseMessage.OFF_NOISE + 32));
        assertTrue(Keys.isZero(spare.privateKey()), "the used ephemeral key is zeroed");
        assertTrue(Keys.isZero(se), "and what was made with it");
        assertNull(spare(b.device).get());
        assertEquals(1, b.tun.size());

        // the next spare comes a while later, not while the initiator reads the response
        long now = net.clock.nanoTime();
        b.device.tick(b.worker, b);
        assertNull(spare(b.device).get());
        assertEquals(now + PreparedHandshakes.AFTER_USE_DELAY_NANOS, b.device.prepared.dueAt());
        net.clock.advance(PreparedHandshakes.AFTER_USE_DELAY_NANOS);
        b.device.tick(b.worker, b);
        assertNotNull(spare(b.device).get());
    }

    @Test
    void aSpareMadeBeforeAPeerWasAddedIsMadeAgainForIt() throws Exception {
        TestNet net = new TestNet(68);
        TestNet.Node a = net.node("a", "198.18.0.1", 1);
        TestNet.Node b = net.node("b", "198.18.0.2", 2);
        b.device.tick(b.worker, b);
        PreparedHandshakes.KeyPair early = spare(b.device).get();
        assertNotNull(early);
        TestNet.pair(a, "10.0.0.1/32", b, "10.0.0.2/32", null);
        assertNull(spare(b.device).get(), "dropped: it has nothing ahead for the new peer");
        assertTrue(Keys.isZero(early.privateKey()));
        b.device.tick(b.worker, b);
        assertNotNull(spare(b.device).get().seFor(b.device.peers().get(0)));

        a.sendIp(PING);
        net.pump();
        assertEquals(1, b.tun.size(), "the handshake with the DH made ahead completes");
    }

    @Test
    void aPreSharedKeySetAfterThePreparationIsTheOneUsed() {
        TestNet net = preparedPair(63);
        TestNet.Node a = net.nodes.get(0);
        TestNet.Node b = net.nodes.get(1);
        byte[] psk = new byte[32];
        Arrays.fill(psk, (byte) 5);
        a.device.peers().get(0).setPresharedKey(psk);
        b.device.peers().get(0).setPresharedKey(psk);

        a.sendIp(PING);
        net.pump();
        assertNotNull(a.device.peers().get(0).currentKeypair(), "keyed with the new pre-shared key");
        assertEquals(1, b.tun.size());
        assertEquals(0, a.device.stats().drops(DropReason.INVALID_HANDSHAKE));
    }

    /** a and b paired, a's timer thread run once: b's initiation is prepared. */
    private static TestNet preparedPair(long seed) {
        TestNet net = new TestNet(seed);
        TestNet.Node a = net.node("a", "198.18.0.1", 1);
        TestNet.Node b = net.node("b", "198.18.0.2", 2);
        TestNet.pair(a, "10.0.0.1/32", b, "10.0.0.2/32", null);
        a.device.tick(a.worker, a);
        assertNotNull(a.device.peers().get(0).handshake.prepared);
        return net;
    }

    @Test
    void aNewPrivateKeyDropsThePreparationAndZeroesIt() throws Exception {
        TestNet net = preparedPair(64);
        TestNet.Node a = net.nodes.get(0);
        TestNet.Node b = net.nodes.get(1);
        Peer aSideB = a.device.peers().get(0);
        IkHandshake old = aSideB.handshake.prepared;

        byte[] newKey = a.privateKey.clone();
        newKey[1] ^= 0x10;
        a.device.setPrivateKey(newKey);
        assertNull(aSideB.handshake.prepared);
        assertTrue(SecretZeroingTest.allSecretsZero(old), "ephemeral, chaining key and hash of the dropped preparation");
        a.device.tick(a.worker, a);
        assertNotNull(aSideB.handshake.prepared, "prepared again with the new key");

        // b learns a's new key: the handshake made with the new preparation completes
        Peer bSideA = b.device.peers().get(0);
        b.device.removePeer(bSideA);
        Peer fresh = b.device.addPeer(X25519Keys.publicFromPrivate(newKey));
        fresh.setEndpoint(a.address);
        b.device.allowedIps().insert(io.cryptun.noise.allowedips.IpPrefix.parse("10.0.0.1/32"), fresh);
        a.sendIp(PING);
        net.pump();
        assertNotNull(aSideB.currentKeypair());
        assertEquals(1, b.tun.size());
    }

    /**
     * The prepared initiation's ephemeral key, kept in the crypto library for the response's
     * agreements, survives a forged response (tried on a copy) and is destroyed once the session
     * exists.
     */
    @Test
    void theKeptEphemeralKeyOutlivesAForgedResponseAndNotTheHandshake() throws Exception {
        TestNet net = preparedPair(69);
        TestNet.Node a = net.nodes.get(0);
        TestNet.Node b = net.nodes.get(1);
        Peer aSideB = a.device.peers().get(0);
        IkHandshake prepared = aSideB.handshake.prepared;
        Field f = IkHandshake.class.getDeclaredField("ephemeralKey");
        f.setAccessible(true);
        X25519Keys.AgreementKey kept = (X25519Keys.AgreementKey) f.get(prepared);
        assertNotNull(kept);

        a.sendIp(PING);
        byte[] forged = new byte[ResponseMessage.SIZE];
        forged[0] = MessageType.RESPONSE;
        io.cryptun.noise.wire.Bytes.writeIntLE(forged, 8, aSideB.handshake.localIndex);
        new io.cryptun.noise.cookie.CookieGenerator(a.publicKey).addMacs(forged, 0, forged.length, net.clock.nanoTime());
        a.device.receive(a.worker, forged, 0, forged.length, b.address, a);
        a.device.processHandshakes(a.worker, a);
        assertEquals(1, a.device.stats().drops(DropReason.INVALID_HANDSHAKE));
        assertTrue(kept.agree(b.publicKey, new byte[32]), "the forged response's trial left the key alone");

        net.pump();
        assertNotNull(aSideB.currentKeypair(), "the real response completes the handshake with it");
        assertEquals(1, b.tun.size());
        assertFalse(kept.agree(b.publicKey, new byte[32]), "destroyed with the finished handshake");
    }

    @Test
    void aRemovedPeersPreparationIsZeroed() throws Exception {
        TestNet.Node a = preparedPair(65).nodes.get(0);
        Peer aSideB = a.device.peers().get(0);
        IkHandshake prepared = aSideB.handshake.prepared;
        a.device.removePeer(aSideB);
        assertNull(aSideB.handshake.prepared);
        assertTrue(SecretZeroingTest.allSecretsZero(prepared));
    }

    @Test
    void theRetryAfterALostInitiationIsPreparedToo() {
        TestNet net = new TestNet(66);
        TestNet.Node a = net.node("a", "198.18.0.1", 1);
        TestNet.Node b = net.node("b", "198.18.0.2", 2);
        TestNet.pair(a, "10.0.0.1/32", b, "10.0.0.2/32", null);
        net.runFor(1);
        a.sendIp(PING);
        net.dropInFlight();
        Peer aSideB = a.device.peers().get(0);
        assertNull(aSideB.handshake.prepared, "not prepared while the first handshake is in flight");
        net.runFor(PreparedHandshakes.AFTER_USE_DELAY_NANOS);
        assertNotNull(aSideB.handshake.prepared, "prepared a while after the initiation went out");
        byte[] prefix = aSideB.handshake.preparedPrefix.clone();

        net.runFor(Protocol.REKEY_TIMEOUT + Protocol.REKEY_TIMEOUT / 2);
        List<TestNet.Datagram> initiations = a.sentOfType(MessageType.INITIATION);
        assertEquals(2, initiations.size(), "one retry");
        assertArrayEquals(prefix, Arrays.copyOfRange(initiations.get(1).data(), InitiationMessage.OFF_NOISE,
                InitiationMessage.OFF_NOISE + IkHandshake.MESSAGE_A_PREFIX));
        assertNotNull(aSideB.currentKeypair(), "the retry completes the handshake");
        assertEquals(1, b.tun.size(), "and the staged packet arrives");
    }

    @Test
    void aLargeDevicePreparesOnlyThePeersThatInitiate() {
        TestNet net = new TestNet(67);
        TestNet.Node a = net.node("a", "198.18.0.1", 1);
        for (int i = 0; i < PreparedHandshakes.PREPARE_ON_CONFIG_MAX_PEERS; i++) {
            byte[] key = X25519Keys.publicFromPrivate(X25519Keys.generatePrivate(TestNet.deterministic(i)));
            Peer p = a.device.addPeer(key);
            p.setEndpoint(new InetSocketAddress("198.18.1.1", 1000 + i));
        }
        Peer last = a.device.addPeer(X25519Keys.publicFromPrivate(X25519Keys.generatePrivate(TestNet.deterministic(-1))));
        last.setEndpoint(new InetSocketAddress("198.18.1.2", 999));
        // a setconf of many peers is prepared a few per tick: the timers are not held up
        a.device.tick(a.worker, a);
        long prepared = a.device.peers().stream().filter(p -> p.handshake.prepared != null).count();
        assertEquals(PreparedHandshakes.PER_TICK, prepared);
        for (int i = 0; i < 100 && a.device.nextTimerDeadline() <= net.clock.nanoTime(); i++) {
            a.device.tick(a.worker, a);
        }
        prepared = a.device.peers().stream().filter(p -> p.handshake.prepared != null).count();
        assertEquals(PreparedHandshakes.PREPARE_ON_CONFIG_MAX_PEERS, prepared);
        assertNull(last.handshake.prepared, "the peer past the limit is prepared only once it initiates");
        assertFalse(a.device.nextTimerDeadline() <= net.clock.nanoTime(), "nothing left to do");
    }

    // ================================================================ reflection

    @SuppressWarnings("unchecked")
    private static AtomicReference<PreparedHandshakes.KeyPair> spare(Device d) throws Exception {
        Field f = PreparedHandshakes.class.getDeclaredField("spare");
        f.setAccessible(true);
        return (AtomicReference<PreparedHandshakes.KeyPair>) f.get(d.prepared);
    }
}
