package io.cryptun.noise.crypto;

import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;

/**
 * The JDK provider's ChaCha20-Poly1305 (SunJCE). On JDK 20+ it uses the ChaCha20 intrinsic, which
 * is why the launcher prefers the newest JDK.
 */
public final class JdkTransportCipher implements TransportCipher {
    private static final String TRANSFORMATION = "ChaCha20-Poly1305";
    private final Cipher encrypt;
    private final Cipher decrypt;
    private final byte[] nonce = new byte[Nonces.LENGTH];
    /** SunJCE copies ciphertext that does not start at offset 0; a scratch copy avoids its allocation. */
    private byte[] scratch = new byte[2048];

    public JdkTransportCipher() {
        try {
            encrypt = Cipher.getInstance(TRANSFORMATION);
            decrypt = Cipher.getInstance(TRANSFORMATION);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no " + TRANSFORMATION, e);
        }
    }

    static boolean isAvailable() {
        try {
            Cipher.getInstance(TRANSFORMATION);
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    @Override
    public int seal(TransportKey key, long counter, byte[] buf, int off, int len) {
        Nonces.write(counter, nonce);
        try {
            encrypt.init(Cipher.ENCRYPT_MODE, key.jdkKey(), new IvParameterSpec(nonce));
            return encrypt.doFinal(buf, off, len, buf, off);
        } catch (InvalidKeyException | InvalidAlgorithmParameterException e) {
            // Only a reused (key, counter) pair gets here, which the counter discipline rules out.
            throw new IllegalStateException("ChaCha20-Poly1305 refused key/nonce", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public int open(TransportKey key, long counter, byte[] buf, int off, int len) {
        if (len < TAG_LENGTH) {
            return -1;
        }
        Nonces.write(counter, nonce);
        byte[] in = buf;
        int inOff = off;
        if (off != 0) {
            if (scratch.length < len) {
                scratch = new byte[Math.max(len, 2 * scratch.length)];
            }
            System.arraycopy(buf, off, scratch, 0, len);
            in = scratch;
            inOff = 0;
        }
        try {
            decrypt.init(Cipher.DECRYPT_MODE, key.jdkKey(), new IvParameterSpec(nonce));
            return decrypt.doFinal(in, inOff, len, buf, off);
        } catch (AEADBadTagException e) {
            return -1;
        } catch (GeneralSecurityException | IllegalStateException e) {
            return -1;
        }
    }

    @Override
    public String name() {
        return "jdk";
    }
}
