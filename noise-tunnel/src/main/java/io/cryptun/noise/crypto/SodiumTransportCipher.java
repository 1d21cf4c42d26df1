package io.cryptun.noise.crypto;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;

/**
 * Optional native backend: libsodium's ChaCha20-Poly1305 (IETF), an audited implementation with
 * vectorised ChaCha20, called once per packet through JNA direct mapping. The packet is staged in
 * a per-instance native buffer (copies through a direct ByteBuffer view, no JNI per byte).
 * Available only where libsodium is installed (Debian: libsodium23).
 */
public final class SodiumTransportCipher implements TransportCipher {
    private static final int KEY_OFF = 0;
    private static final int NONCE_OFF = 32;
    private static final int DATA_OFF = 64;
    private static final int CAPACITY = DATA_OFF + 65535 + TAG_LENGTH + 64;
    private static final Throwable UNAVAILABLE;

    static {
        Throwable failure = null;
        try {
            Native.register(SodiumTransportCipher.class, NativeLibrary.getInstance("sodium"));
            if (sodium_init() < 0) {
                failure = new IllegalStateException("sodium_init failed");
            }
        } catch (Throwable t) {
            failure = t;
        }
        UNAVAILABLE = failure;
    }

    private static native int sodium_init();

    private static native int crypto_aead_chacha20poly1305_ietf_encrypt(Pointer c, Pointer clen, Pointer m, long mlen,
            Pointer ad, long adlen, Pointer nsec, Pointer npub, Pointer k);

    private static native int crypto_aead_chacha20poly1305_ietf_decrypt(Pointer m, Pointer mlen, Pointer nsec,
            Pointer c, long clen, Pointer ad, long adlen, Pointer npub, Pointer k);

    private final Memory memory = new Memory(CAPACITY);
    private final ByteBuffer view = memory.getByteBuffer(0, CAPACITY);
    private final Pointer key = memory.share(KEY_OFF);
    private final Pointer nonce = memory.share(NONCE_OFF);
    private final Pointer data = memory.share(DATA_OFF);

    public SodiumTransportCipher() {
        if (UNAVAILABLE != null) {
            throw new IllegalStateException("libsodium is not available: " + UNAVAILABLE.getMessage());
        }
    }

    public static boolean isAvailable() {
        return UNAVAILABLE == null;
    }

    @Override
    public int seal(TransportKey k, long counter, byte[] buf, int off, int len) {
        stage(k, counter);
        view.put(DATA_OFF, buf, off, len);
        crypto_aead_chacha20poly1305_ietf_encrypt(data, null, data, len, null, 0, null, nonce, key);
        forgetKey();
        view.get(DATA_OFF, buf, off, len + TAG_LENGTH);
        return len + TAG_LENGTH;
    }

    @Override
    public int open(TransportKey k, long counter, byte[] buf, int off, int len) {
        if (len < TAG_LENGTH || len > CAPACITY - DATA_OFF) {
            return -1;
        }
        stage(k, counter);
        view.put(DATA_OFF, buf, off, len);
        int rc = crypto_aead_chacha20poly1305_ietf_decrypt(data, null, null, data, len, null, 0, nonce, key);
        forgetKey();
        if (rc != 0) {
            return -1;
        }
        view.get(DATA_OFF, buf, off, len - TAG_LENGTH);
        return len - TAG_LENGTH;
    }

    private void stage(TransportKey k, long counter) {
        view.put(KEY_OFF, k.raw(), 0, 32);
        view.putInt(NONCE_OFF, 0);
        for (int i = 0; i < 8; i++) {
            view.put(NONCE_OFF + 4 + i, (byte) (counter >>> (8 * i)));
        }
    }

    /** The staged key copy does not outlive the call. */
    private void forgetKey() {
        for (int i = 0; i < 32; i += 8) {
            view.putLong(KEY_OFF + i, 0L);
        }
    }

    @Override
    public String name() {
        return "sodium";
    }
}
