package io.cryptun.noise.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.noise.crypto.Keys;
import io.cryptun.noise.handshake.IkHandshake;
import io.cryptun.noise.session.Keypair;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Secrets a device no longer needs are zeroed where they lived, not just dropped for the garbage
 * collector: a replaced or removed private key, a finished handshake's ephemeral key, chaining
 * key, hash and key copies, and a removed peer's pre-shared key, static-static secret and
 * sessions. (Session keys retired by time are checked in TimersTest and the week-long simulation.)
 * The arrays are reached by reflection because nothing outside the device may see them.
 */
class SecretZeroingTest {

    @Test
    void aReplacedPrivateKeyIsZeroed() throws Exception {
        TestNet net = new TestNet(21);
        TestNet.Node a = net.node("a", "198.18.0.1", 1);
        byte[] first = identityPrivateKey(a.device);
        io.cryptun.noise.crypto.X25519Keys.AgreementKey firstKept = identityStaticKey(a.device);
        byte[] somePeer = io.cryptun.noise.crypto.X25519Keys.publicFromPrivate(a.privateKey);
        assertTrue(firstKept.agree(somePeer, new byte[32]));
        assertFalse(Keys.isZero(first));
        byte[] next = a.privateKey.clone();
        next[0] ^= 0x40;
        a.device.setPrivateKey(next);
        assertTrue(Keys.isZero(first), "the old private key is zeroed in place");
        assertFalse(firstKept.agree(somePeer, new byte[32]), "and the copy kept for agreements destroyed");
        byte[] second = identityPrivateKey(a.device);
        a.device.setPrivateKey(null);
        assertTrue(Keys.isZero(second), "a removed private key is zeroed in place");
    }

    @Test
    void aFinishedHandshakeLeavesNoSecretBehind() throws Exception {
        TestNet net = new TestNet(22);
        TestNet.Node a = net.node("a", "198.18.0.1", 1);
        TestNet.Node b = net.node("b", "198.18.0.2", 2);
        byte[] psk = new byte[32];
        Arrays.fill(psk, (byte) 9);
        TestNet.pair(a, "10.0.0.1/32", b, "10.0.0.2/32", psk);
        Peer aSideB = a.device.peers().get(0);
        a.sendIp(SamplePackets.udp4("10.0.0.1", "10.0.0.2", 8));
        IkHandshake inFlight = aSideB.handshake.noise;
        assertNotNull(inFlight);
        assertFalse(allSecretsZero(inFlight), "a live handshake holds secrets");

        net.pump();
        assertNotNull(aSideB.currentKeypair(), "session established");
        assertNull(aSideB.handshake.noise);
        assertTrue(allSecretsZero(inFlight), "the initiator's handshake state is zeroed once the session exists");
    }

    @Test
    void aForgedResponseLeavesTheRealHandshakeIntact() throws Exception {
        TestNet net = new TestNet(23);
        TestNet.Node a = net.node("a", "198.18.0.1", 1);
        TestNet.Node b = net.node("b", "198.18.0.2", 2);
        TestNet.pair(a, "10.0.0.1/32", b, "10.0.0.2/32", null);
        Peer aSideB = a.device.peers().get(0);
        a.sendIp(SamplePackets.udp4("10.0.0.1", "10.0.0.2", 8));
        net.dropInFlight();
        IkHandshake inFlight = aSideB.handshake.noise;
        byte[] forged = new byte[92];
        forged[0] = 2;
        io.cryptun.noise.wire.Bytes.writeIntLE(forged, 8, aSideB.handshake.localIndex);
        new io.cryptun.noise.cookie.CookieGenerator(a.publicKey).addMacs(forged, 0, forged.length, net.clock.nanoTime());
        a.device.receive(a.worker, forged, 0, forged.length, b.address, a);
        a.device.processHandshakes(a.worker, a);
        assertEquals(1, a.device.stats().drops(DropReason.INVALID_HANDSHAKE));
        assertTrue(aSideB.handshake.noise == inFlight && !allSecretsZero(inFlight), "the real handshake goes on");
    }

    @Test
    void aRemovedPeersSecretsAndSessionsAreZeroed() throws Exception {
        TestNet net = new TestNet(24);
        TestNet.Node a = net.node("a", "198.18.0.1", 1);
        TestNet.Node b = net.node("b", "198.18.0.2", 2);
        byte[] psk = new byte[32];
        Arrays.fill(psk, (byte) 7);
        TestNet.pair(a, "10.0.0.1/32", b, "10.0.0.2/32", psk);
        a.sendIp(SamplePackets.udp4("10.0.0.1", "10.0.0.2", 8));
        net.pump();
        Peer aSideB = a.device.peers().get(0);
        Keypair kp = aSideB.currentKeypair();
        assertNotNull(kp);
        byte[] staticStatic = aSideB.handshake.precomputedStaticStatic;
        byte[] storedPsk = (byte[]) field(Peer.class, "presharedKey").get(aSideB);
        assertFalse(Keys.isZero(staticStatic));
        assertFalse(Keys.isZero(storedPsk));

        a.device.removePeer(aSideB);
        assertTrue(kp.keysZeroed(), "session keys");
        assertTrue(Keys.isZero(staticStatic), "the static-static DH result");
        assertTrue(Keys.isZero(storedPsk), "the pre-shared key");
        assertFalse(aSideB.handshake.staticStaticValid);
    }

    // ================================================================ reflection

    private static byte[] identityPrivateKey(Device d) throws Exception {
        Object identity = field(Device.class, "identity").get(d);
        Method m = identity.getClass().getDeclaredMethod("privateKey");
        m.setAccessible(true);
        return (byte[]) m.invoke(identity);
    }

    private static io.cryptun.noise.crypto.X25519Keys.AgreementKey identityStaticKey(Device d) throws Exception {
        Object identity = field(Device.class, "identity").get(d);
        Method m = identity.getClass().getDeclaredMethod("staticKey");
        m.setAccessible(true);
        return (io.cryptun.noise.crypto.X25519Keys.AgreementKey) m.invoke(identity);
    }

    /** Every secret field of the handshake (and of its symmetric state) is null or all zero. */
    static boolean allSecretsZero(IkHandshake hs) throws Exception {
        for (String name : new String[] {"ephemeralPrivate", "staticPrivate", "psk"}) {
            byte[] v = (byte[]) field(IkHandshake.class, name).get(hs);
            if (v != null && !Keys.isZero(v)) {
                return false;
            }
        }
        Object state = field(IkHandshake.class, "state").get(hs);
        for (String name : new String[] {"ck", "h", "k"}) {
            if (!Keys.isZero((byte[]) field(state.getClass(), name).get(state))) {
                return false;
            }
        }
        return true;
    }

    private static Field field(Class<?> c, String name) throws NoSuchFieldException {
        Field f = c.getDeclaredField(name);
        f.setAccessible(true);
        return f;
    }
}
