package io.cryptun.noise.crypto;

import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * ChaCha20-Poly1305 with WireGuard's nonce (32 zero bits ‖ 64-bit little-endian counter) and
 * associated data, as the handshake uses it. Not for the data path: see {@link TransportCipher}.
 */
public final class ChaChaPoly {
    public static final int TAG_LENGTH = 16;

    private ChaChaPoly() {
    }

    /** Encrypts in[inOff, +len) to out[outOff, +len+16). Returns the written length. */
    public static int seal(byte[] key, long counter, byte[] ad, byte[] in, int inOff, int len, byte[] out, int outOff) {
        ChaCha20Poly1305 c = new ChaCha20Poly1305();
        c.init(true, new AEADParameters(new KeyParameter(key), 128, Nonces.of(counter), ad));
        int n = c.processBytes(in, inOff, len, out, outOff);
        try {
            return n + c.doFinal(out, outOff + n);
        } catch (InvalidCipherTextException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Decrypts in[inOff, +len) (ciphertext ‖ tag) to out; returns the plaintext length or -1 if it does not authenticate. */
    public static int open(byte[] key, long counter, byte[] ad, byte[] in, int inOff, int len, byte[] out, int outOff) {
        if (len < TAG_LENGTH) {
            return -1;
        }
        ChaCha20Poly1305 c = new ChaCha20Poly1305();
        c.init(false, new AEADParameters(new KeyParameter(key), 128, Nonces.of(counter), ad));
        int n = c.processBytes(in, inOff, len, out, outOff);
        try {
            return n + c.doFinal(out, outOff + n);
        } catch (InvalidCipherTextException e) {
            return -1;
        }
    }
}
