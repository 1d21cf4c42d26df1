package io.cryptun.noise.crypto;

import java.util.Arrays;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * One direction's 32-byte transport key, with the provider key objects built once per session
 * rather than once per packet. {@link #destroy()} zeroes what this object can reach, and frees the
 * openssl backend's native context (its copy of the key with it).
 */
public final class TransportKey {
    private final byte[] raw;
    private final KeyParameter bcKey;
    private final SecretKeySpec jdkKey;
    private volatile boolean destroyed;
    /** The openssl backend's keyed context, made at its first use of this key (guarded by this). */
    private volatile OpenSslCipherContext openSsl;

    public TransportKey(byte[] key) {
        if (key.length != 32) {
            throw new IllegalArgumentException("transport key must be 32 bytes");
        }
        this.raw = key.clone();
        // KeyParameter keeps (and hands out) its own copy, which destroy() can zero.
        this.bcKey = new KeyParameter(raw);
        // The JDK's SecretKeySpec keeps a private copy that cannot be zeroed from outside
        // (its clear() is package-private); see noise-tunnel/README.md.
        this.jdkKey = new SecretKeySpec(raw, "ChaCha20");
    }

    KeyParameter bcKey() {
        return bcKey;
    }

    SecretKeySpec jdkKey() {
        return jdkKey;
    }

    byte[] raw() {
        return raw;
    }

    /**
     * This key's libcrypto context, created on first use by {@code cipher}, which stages the key in its
     * native memory and wipes it there before this returns; null once destroyed.
     */
    OpenSslCipherContext openSslContext(OpenSslTransportCipher cipher) {
        OpenSslCipherContext c = openSsl;
        if (c != null) {
            return c;
        }
        synchronized (this) {
            if (openSsl == null && !destroyed) {
                openSsl = cipher.keyedContext(raw);
            }
            return openSsl;
        }
    }

    public boolean isDestroyed() {
        return destroyed;
    }

    /** Zeroes the key bytes; a packet sealed or opened concurrently must be discarded by its caller. */
    public void destroy() {
        OpenSslCipherContext c;
        synchronized (this) {
            destroyed = true;
            c = openSsl;
        }
        Arrays.fill(raw, (byte) 0);
        Arrays.fill(bcKey.getKey(), (byte) 0);
        if (c != null) {
            c.free();
        }
    }
}
