package io.cryptun.noise.crypto;

import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.AEADParameters;

/** The portable backend: Bouncy Castle's ChaCha20Poly1305, reused across packets. */
public final class BcTransportCipher implements TransportCipher {
    private final ChaCha20Poly1305 cipher = new ChaCha20Poly1305();
    private final byte[] nonce = new byte[Nonces.LENGTH];

    @Override
    public int seal(TransportKey key, long counter, byte[] buf, int off, int len) {
        Nonces.write(counter, nonce);
        cipher.init(true, new AEADParameters(key.bcKey(), 128, nonce));
        int n = cipher.processBytes(buf, off, len, buf, off);
        try {
            return n + cipher.doFinal(buf, off + n);
        } catch (InvalidCipherTextException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public int open(TransportKey key, long counter, byte[] buf, int off, int len) {
        if (len < TAG_LENGTH) {
            return -1;
        }
        Nonces.write(counter, nonce);
        cipher.init(false, new AEADParameters(key.bcKey(), 128, nonce));
        int n = cipher.processBytes(buf, off, len, buf, off);
        try {
            return n + cipher.doFinal(buf, off + n);
        } catch (InvalidCipherTextException | IllegalStateException e) {
            return -1;
        }
    }

    @Override
    public String name() {
        return "bc";
    }
}
