package io.cryptun.noise.handshake;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cryptun.noise.crypto.X25519Keys;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

/**
 * A responder started from its precomputed pre-message hash ({@link WireGuardNoise#responderHash})
 * reads an initiation and answers it exactly as one that hashes its key for each initiation.
 */
class ResponderPremessageTest {

    @Test
    void thePrecomputedPremessageGivesTheSameHandshake() {
        SecureRandom r = new SecureRandom(new byte[] {7});
        byte[] iPriv = X25519Keys.generatePrivate(r);
        byte[] rPriv = X25519Keys.generatePrivate(r);
        byte[] iPub = X25519Keys.publicFromPrivate(iPriv);
        byte[] rPub = X25519Keys.publicFromPrivate(rPriv);
        byte[] psk = new byte[32];
        psk[3] = 9;
        byte[] ss = new byte[32];
        X25519Keys.sharedSecret(iPriv, rPub, ss);
        byte[] payload = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        byte[] msgA = new byte[IkHandshake.MESSAGE_A_PREFIX + payload.length + 16];
        IkHandshake initiator = IkHandshake.initiator(WireGuardNoise.initialState(), psk, iPriv, iPub, rPub);
        initiator.writeMessageA(X25519Keys.generatePrivate(r), ss, payload, 0, payload.length, msgA, 0);

        IkHandshake plain = IkHandshake.responder(WireGuardNoise.initialState(), psk, rPriv, rPub);
        IkHandshake premixed = IkHandshake.responderAfterPremessage(
                WireGuardNoise.responderState(WireGuardNoise.responderHash(rPub)), psk, rPriv, rPub);
        byte[] ephemeral = X25519Keys.generatePrivate(r);
        byte[][] answers = new byte[2][];
        int i = 0;
        for (IkHandshake responder : new IkHandshake[] {plain, premixed}) {
            assertArrayEquals(iPub, responder.readMessageAStatic(msgA, 0, msgA.length));
            byte[] got = new byte[payload.length];
            assertEquals(payload.length, responder.readMessageAPayload(ss, msgA, 0, msgA.length, got, 0));
            byte[] msgB = new byte[IkHandshake.MESSAGE_B_PREFIX + 16];
            responder.writeMessageB(ephemeral, new byte[0], 0, 0, msgB, 0);
            answers[i++] = msgB;
        }
        assertArrayEquals(answers[0], answers[1], "message B byte for byte");
        assertArrayEquals(plain.handshakeHash(), premixed.handshakeHash());
        assertEquals(0, initiator.readMessageB(answers[1], 0, answers[1].length, new byte[0], 0),
                "and the initiator accepts it");
    }
}
