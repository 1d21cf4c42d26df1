package io.cryptun.noise.crypto;

import java.util.Arrays;

/**
 * WireGuard's KDF1/KDF2/KDF3 (whitepaper 5.4): HKDF with HMAC-BLAKE2s, the same computation as
 * Noise's HKDF with two or three outputs.
 */
public final class Kdf {
    private Kdf() {
    }

    /**
     * Writes the first {@code outputs.length} HKDF outputs of (chainingKey, input) into the given
     * 32-byte arrays; an output array may be the chaining key array itself.
     */
    public static void derive(byte[] chainingKey, byte[] input, int inOff, int inLen, byte[]... outputs) {
        if (outputs.length < 1 || outputs.length > 3) {
            throw new IllegalArgumentException("1 to 3 outputs");
        }
        byte[] prk = new byte[32];
        byte[] t = new byte[33];
        try {
            Blake2s.hmac(chainingKey, input, inOff, inLen, prk, 0);
            int prevLen = 0;
            for (int i = 0; i < outputs.length; i++) {
                // t_i = HMAC(prk, t_{i-1} ‖ i)
                t[prevLen] = (byte) (i + 1);
                byte[] ti = new byte[32];
                Blake2s.hmac(prk, t, 0, prevLen + 1, ti, 0);
                System.arraycopy(ti, 0, t, 0, 32);
                prevLen = 32;
                System.arraycopy(ti, 0, outputs[i], 0, 32);
                Arrays.fill(ti, (byte) 0);
            }
        } finally {
            Arrays.fill(prk, (byte) 0);
            Arrays.fill(t, (byte) 0);
        }
    }

    public static void derive(byte[] chainingKey, byte[] input, byte[]... outputs) {
        derive(chainingKey, input, 0, input.length, outputs);
    }
}
