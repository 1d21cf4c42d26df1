package io.cryptun.routing.psk;

import io.cryptun.noise.crypto.Blake2s;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Per-pair pre-shared keys from a community secret: both ends of a pair derive the same key from
 * the secret and the two public keys, and no other pair (or other secret) gets it.
 *
 * <pre>
 *   (lo, hi) = the two public keys, lo the smaller compared as unsigned bytes
 *   psk      = HMAC-BLAKE2s(key = secret, "cryptun mesh psk v1" ‖ lo ‖ hi)
 * </pre>
 * HMAC-BLAKE2s is the HMAC the WireGuard handshake itself uses (RFC 2104 over BLAKE2s-256 with its
 * 64-byte block), from Bouncy Castle; a PRF keyed with the secret, so the key reveals nothing of
 * the secret, and the fixed order makes derive(A, B) = derive(B, A).
 */
public final class MeshPsk {
    static final byte[] LABEL = "cryptun mesh psk v1".getBytes(StandardCharsets.US_ASCII);

    private MeshPsk() {
    }

    public static byte[] derive(byte[] secret, byte[] publicA, byte[] publicB) {
        if (secret.length != 32 || publicA.length != 32 || publicB.length != 32) {
            throw new IllegalArgumentException("secret and public keys are 32 bytes");
        }
        boolean aFirst = Arrays.compareUnsigned(publicA, publicB) <= 0;
        byte[] lo = aFirst ? publicA : publicB;
        byte[] hi = aFirst ? publicB : publicA;
        byte[] msg = new byte[LABEL.length + 64];
        System.arraycopy(LABEL, 0, msg, 0, LABEL.length);
        System.arraycopy(lo, 0, msg, LABEL.length, 32);
        System.arraycopy(hi, 0, msg, LABEL.length + 32, 32);
        byte[] psk = new byte[32];
        Blake2s.hmac(secret, msg, 0, msg.length, psk, 0);
        return psk;
    }
}
