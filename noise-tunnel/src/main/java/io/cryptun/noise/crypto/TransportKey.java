package io.cryptun.noise.crypto;

import java.util.Arrays;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * One direction's 32-byte transport key, with the provider key objects built once per session
 * rather than once per packet. {@link #destroy()} zeroes what this object can reach.
 */
public final class TransportKey {
    private final byte[] raw;
    private final KeyParameter bcKey;
    private final SecretKeySpec jdkKey;
    private volatile boolean destroyed;

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

    public boolean isDestroyed() {
        return destroyed;
    }

    /** Zeroes the key bytes; a packet sealed or opened concurrently must be discarded by its caller. */
    public void destroy() {
        destroyed = true;
        Arrays.fill(raw, (byte) 0);
        Arrays.fill(bcKey.getKey(), (byte) 0);
    }
}
