package io.cryptun.noise.crypto;

import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.modes.XChaCha20Poly1305;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/** XChaCha20-Poly1305 (24-byte nonce), used only for cookie replies. Bouncy Castle's implementation. */
public final class XChaChaPoly {
    public static final int NONCE_LENGTH = 24;

    private XChaChaPoly() {
    }

    public static int seal(byte[] key, byte[] nonce, byte[] ad, byte[] in, int inOff, int len, byte[] out, int outOff) {
        XChaCha20Poly1305 c = new XChaCha20Poly1305();
        c.init(true, new AEADParameters(new KeyParameter(key), 128, nonce, ad));
        int n = c.processBytes(in, inOff, len, out, outOff);
        try {
            return n + c.doFinal(out, outOff + n);
        } catch (InvalidCipherTextException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Returns the plaintext length, or -1 if the ciphertext does not authenticate. */
    public static int open(byte[] key, byte[] nonce, byte[] ad, byte[] in, int inOff, int len, byte[] out, int outOff) {
        if (len < ChaChaPoly.TAG_LENGTH) {
            return -1;
        }
        XChaCha20Poly1305 c = new XChaCha20Poly1305();
        c.init(false, new AEADParameters(new KeyParameter(key), 128, nonce, ad));
        int n = c.processBytes(in, inOff, len, out, outOff);
        try {
            return n + c.doFinal(out, outOff + n);
        } catch (InvalidCipherTextException e) {
            return -1;
        }
    }
}
