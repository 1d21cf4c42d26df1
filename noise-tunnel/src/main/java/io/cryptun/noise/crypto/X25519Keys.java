package io.cryptun.noise.crypto;

import java.security.SecureRandom;
import org.bouncycastle.math.ec.rfc7748.X25519;

/** Curve25519 key agreement through Bouncy Castle's RFC 7748 implementation. */
public final class X25519Keys {
    public static final int KEY_LENGTH = 32;

    private X25519Keys() {
    }

    /** A fresh private key, clamped as {@code wg genkey} prints it. */
    public static byte[] generatePrivate(SecureRandom random) {
        byte[] k = new byte[KEY_LENGTH];
        random.nextBytes(k);
        clamp(k);
        return k;
    }

    /** Clamps in place (RFC 7748 decodeScalar25519); X25519 clamps internally anyway, wg prints clamped keys. */
    public static void clamp(byte[] k) {
        k[0] &= (byte) 248;
        k[31] &= 127;
        k[31] |= 64;
    }

    public static byte[] publicFromPrivate(byte[] privateKey) {
        byte[] pub = new byte[KEY_LENGTH];
        X25519.scalarMultBase(privateKey, 0, pub, 0);
        return pub;
    }

    /**
     * DH(private, public) into {@code out}. Returns false for a low-order peer key (an all-zero
     * result), which WireGuard treats as an error.
     */
    public static boolean sharedSecret(byte[] privateKey, byte[] publicKey, byte[] out) {
        return X25519.calculateAgreement(privateKey, 0, publicKey, 0, out, 0);
    }
}
