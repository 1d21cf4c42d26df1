package io.cryptun.noise.handshake;

import io.cryptun.noise.crypto.Keys;
import io.cryptun.noise.crypto.X25519Keys;
import java.security.SecureRandom;

/**
 * Runs the handshake's arithmetic a few hundred times on throwaway keys, so the JIT compiles it
 * before the first real handshake: handshakes are rare, and without this the first ones run the
 * Curve25519 field arithmetic in the interpreter, costing milliseconds of first-packet latency.
 */
public final class HandshakeWarmUp {
    private HandshakeWarmUp() {
    }

    /** About 0.1 s of one core once compiled; meant for a low-priority background thread. */
    public static void run(int rounds) {
        SecureRandom random = new SecureRandom();
        byte[] a = X25519Keys.generatePrivate(random);
        byte[] b = X25519Keys.generatePrivate(random);
        byte[] bPub = X25519Keys.publicFromPrivate(b);
        byte[] aPub = X25519Keys.publicFromPrivate(a);
        byte[] psk = new byte[32];
        byte[] payload = new byte[Tai64n.LENGTH];
        byte[] msgA = new byte[IkHandshake.MESSAGE_A_PREFIX + Tai64n.LENGTH + IkHandshake.TAG_LENGTH];
        byte[] msgB = new byte[IkHandshake.MESSAGE_B_PREFIX + IkHandshake.TAG_LENGTH];
        byte[] ss = new byte[32];
        X25519Keys.sharedSecret(a, bPub, ss);
        for (int i = 0; i < rounds; i++) {
            IkHandshake init = IkHandshake.initiator(WireGuardNoise.initialState(), psk, a, aPub, bPub);
            IkHandshake resp = IkHandshake.responder(WireGuardNoise.initialState(), psk, b, bPub);
            init.writeMessageA(X25519Keys.generatePrivate(random), ss, payload, 0, payload.length, msgA, 0);
            resp.readMessageAStatic(msgA, 0, msgA.length);
            resp.readMessageAPayload(ss, msgA, 0, msgA.length, payload, 0);
            resp.writeMessageB(X25519Keys.generatePrivate(random), payload, 0, 0, msgB, 0);
            init.readMessageB(msgB, 0, msgB.length, payload, 0);
            init.destroy();
            resp.destroy();
        }
        Keys.zero(a);
        Keys.zero(b);
        Keys.zero(ss);
    }
}
