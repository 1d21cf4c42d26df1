package io.cryptun.noise.crypto;

/** WireGuard's 96-bit AEAD nonce: 32 zero bits followed by the 64-bit counter, little-endian. */
public final class Nonces {
    public static final int LENGTH = 12;

    private Nonces() {
    }

    public static byte[] of(long counter) {
        byte[] n = new byte[LENGTH];
        write(counter, n);
        return n;
    }

    public static void write(long counter, byte[] nonce) {
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] = (byte) (counter >>> (8 * i));
        }
    }
}
