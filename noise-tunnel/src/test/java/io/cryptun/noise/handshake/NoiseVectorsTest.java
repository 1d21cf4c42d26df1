package io.cryptun.noise.handshake;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.noise.Fixtures;
import io.cryptun.noise.MiniJson;
import io.cryptun.noise.crypto.TransportCipher;
import io.cryptun.noise.crypto.TransportKey;
import io.cryptun.noise.crypto.X25519Keys;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The public cacophony vectors for Noise_IK and Noise_IKpsk2 (BLAKE2s, ChaChaPoly), reproduced
 * byte for byte by the same IkHandshake and TransportCipher code the daemon runs: both handshake
 * messages, the handshake hash, and the transport messages that follow, on both cipher backends.
 */
class NoiseVectorsTest {
    private static final HexFormat HEX = HexFormat.of();

    static Stream<Arguments> vectors() throws Exception {
        String json = Files.readString(Fixtures.file("noise/ikpsk2-vectors.json"));
        @SuppressWarnings("unchecked")
        Map<String, Object> root = (Map<String, Object>) MiniJson.parse(json);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> vs = (List<Map<String, Object>>) root.get("vectors");
        List<Arguments> out = new ArrayList<>();
        for (Map<String, Object> v : vs) {
            for (String backend : io.cryptun.noise.crypto.SodiumTransportCipher.isAvailable()
                    ? new String[] {"jdk", "bc", "sodium"} : new String[] {"jdk", "bc"}) {
                out.add(Arguments.of(v.get("protocol_name") + " / " + backend, v, backend));
            }
        }
        assertFalse(out.isEmpty());
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void reproducesVector(String name, Map<String, Object> v, String backend) {
        String protocol = (String) v.get("protocol_name");
        boolean psk2 = protocol.startsWith("Noise_IKpsk2_");
        assertTrue(psk2 || protocol.startsWith("Noise_IK_"), protocol);
        byte[] psk = psk2 ? hex(((List<?>) v.get("init_psks")).get(0)) : null;

        byte[] iStatic = hex(v.get("init_static"));
        byte[] rStatic = hex(v.get("resp_static"));
        byte[] iStaticPub = X25519Keys.publicFromPrivate(iStatic);
        byte[] rStaticPub = X25519Keys.publicFromPrivate(rStatic);
        assertArrayEquals(hex(v.get("init_remote_static")), rStaticPub, "responder static public key");

        IkHandshake initiator = IkHandshake.initiator(
                SymmetricState.initialize(protocol, hex(v.get("init_prologue"))), psk, iStatic, iStaticPub, rStaticPub);
        IkHandshake responder = IkHandshake.responder(
                SymmetricState.initialize(protocol, hex(v.get("resp_prologue"))), psk, rStatic, rStaticPub);

        @SuppressWarnings("unchecked")
        List<Map<String, Object>> messages = (List<Map<String, Object>>) v.get("messages");
        byte[] ss = new byte[32];
        assertTrue(X25519Keys.sharedSecret(iStatic, rStaticPub, ss));

        // message A: initiator -> responder
        byte[] p0 = hex(messages.get(0).get("payload"));
        byte[] m0 = new byte[IkHandshake.MESSAGE_A_PREFIX + p0.length + 16];
        int n0 = initiator.writeMessageA(hex(v.get("init_ephemeral")), ss, p0, 0, p0.length, m0, 0);
        assertEquals(m0.length, n0);
        assertArrayEquals(hex(messages.get(0).get("ciphertext")), m0, "message A");
        byte[] learned = responder.readMessageAStatic(m0, 0, n0);
        assertArrayEquals(iStaticPub, learned, "initiator static as the responder learns it");
        byte[] ssR = new byte[32];
        assertTrue(X25519Keys.sharedSecret(rStatic, learned, ssR));
        byte[] got0 = new byte[p0.length];
        assertEquals(p0.length, responder.readMessageAPayload(ssR, m0, 0, n0, got0, 0));
        assertArrayEquals(p0, got0);

        // message B: responder -> initiator
        byte[] p1 = hex(messages.get(1).get("payload"));
        byte[] m1 = new byte[IkHandshake.MESSAGE_B_PREFIX + p1.length + 16];
        assertEquals(m1.length, responder.writeMessageB(hex(v.get("resp_ephemeral")), p1, 0, p1.length, m1, 0));
        assertArrayEquals(hex(messages.get(1).get("ciphertext")), m1, "message B");
        byte[] got1 = new byte[p1.length];
        assertEquals(p1.length, initiator.readMessageB(m1, 0, m1.length, got1, 0));
        assertArrayEquals(p1, got1);

        byte[] expectedHash = hex(v.get("handshake_hash"));
        assertArrayEquals(expectedHash, initiator.handshakeHash(), "initiator handshake hash");
        assertArrayEquals(expectedHash, responder.handshakeHash(), "responder handshake hash");

        // transport: Split, then alternate directions with implicit counters 0, 1, ...
        byte[] i2r = new byte[32];
        byte[] r2i = new byte[32];
        initiator.split(i2r, r2i);
        byte[] i2rR = new byte[32];
        byte[] r2iR = new byte[32];
        responder.split(i2rR, r2iR);
        assertArrayEquals(i2r, i2rR);
        assertArrayEquals(r2i, r2iR);
        TransportKey send = new TransportKey(i2r);
        TransportKey recv = new TransportKey(r2i);
        TransportCipher cipher = TransportCipher.create(backend);
        assertEquals(backend, cipher.name());
        long[] counters = new long[2];
        for (int m = 2; m < messages.size(); m++) {
            boolean fromInitiator = m % 2 == 0;
            byte[] payload = hex(messages.get(m).get("payload"));
            byte[] expected = hex(messages.get(m).get("ciphertext"));
            long counter = counters[fromInitiator ? 0 : 1]++;
            TransportKey key = fromInitiator ? send : recv;
            // sealed at an offset, as the data path seals after the 16-byte WireGuard header
            byte[] buf = new byte[16 + payload.length + 16];
            System.arraycopy(payload, 0, buf, 16, payload.length);
            assertEquals(payload.length + 16, cipher.seal(key, counter, buf, 16, payload.length));
            assertArrayEquals(expected, java.util.Arrays.copyOfRange(buf, 16, buf.length), "transport message " + m);
            assertEquals(payload.length, cipher.open(key, counter, buf, 16, expected.length));
            assertArrayEquals(payload, java.util.Arrays.copyOfRange(buf, 16, 16 + payload.length));
            // a flipped bit or a wrong counter never authenticates
            System.arraycopy(expected, 0, buf, 16, expected.length);
            buf[16] ^= 1;
            assertEquals(-1, cipher.open(key, counter, buf, 16, expected.length));
            System.arraycopy(expected, 0, buf, 16, expected.length);
            assertEquals(-1, cipher.open(key, counter + 1, buf, 16, expected.length));
        }
    }

    private static byte[] hex(Object o) {
        return HEX.parseHex((String) o);
    }
}
