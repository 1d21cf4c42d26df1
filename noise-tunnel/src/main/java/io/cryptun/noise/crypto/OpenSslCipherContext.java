package io.cryptun.noise.crypto;

/**
 * One libcrypto {@code EVP_CIPHER_CTX} keyed with one {@link TransportKey}: created with the key
 * once, after which a packet only sets its nonce. It lives as long as the key and is freed when
 * the key is destroyed.
 *
 * <p>A key is shared by the threads that send (or receive) for its keypair, each with its own
 * {@link OpenSslTransportCipher}, and a context holds per-packet state: calls on it are serialised
 * by its monitor (uncontended in the common case: one thread per direction). {@link #free()} takes
 * the same monitor, so a context is never freed under a running call, and a call after it finds
 * the context gone and reports failure instead of touching freed memory.
 *
 * <p>{@code EVP_CIPHER_CTX_free} resets the context, and OpenSSL's ChaCha20-Poly1305 provider
 * clears its key-bearing state with {@code OPENSSL_clear_free} there: no key copy outlives it.
 */
final class OpenSslCipherContext {
    private long ctx;

    private OpenSslCipherContext(long ctx) {
        this.ctx = ctx;
    }

    /**
     * A context keyed with the 32 key bytes at {@code keyAddress} (native memory the caller wipes
     * afterwards).
     */
    static OpenSslCipherContext create(long keyAddress) {
        long ctx;
        int ok;
        try {
            ctx = (long) LibCrypto.CTX_NEW.invokeExact();
            if (ctx == 0) {
                throw new OutOfMemoryError("EVP_CIPHER_CTX_new failed");
            }
            ok = (int) LibCrypto.CIPHER_INIT_KEY.invokeExact(ctx, LibCrypto.CHACHA20_POLY1305, 0L, keyAddress, 0L, 1);
            if (ok != 1) {
                LibCrypto.CTX_FREE.invokeExact(ctx);
                throw new IllegalStateException("EVP_CipherInit_ex refused the ChaCha20-Poly1305 key");
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        return new OpenSslCipherContext(ctx);
    }

    /**
     * Encrypts {@code len} bytes at {@code data} in place and writes the tag after them.
     * {@code nonce} is the 12-byte nonce, {@code outl} scratch for an int. False once freed.
     */
    synchronized boolean seal(long nonce, long data, int len, long outl) {
        if (ctx == 0) {
            return false;
        }
        try {
            return (int) LibCrypto.CIPHER_INIT_NONCE.invokeExact(ctx, 0L, 0L, 0L, nonce, 1) == 1
                    && (int) LibCrypto.CIPHER_UPDATE.invokeExact(ctx, data, outl, data, len) == 1
                    && (int) LibCrypto.CIPHER_FINAL.invokeExact(ctx, data + len, outl) == 1
                    && (int) LibCrypto.CTX_CTRL.invokeExact(ctx, LibCrypto.EVP_CTRL_AEAD_GET_TAG,
                            TransportCipher.TAG_LENGTH, data + len) == 1;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Decrypts {@code len} bytes of ciphertext at {@code data}, followed by their tag, in place.
     * True only when the tag authenticates them (false as well once freed). On false the bytes at
     * {@code data} are unauthenticated and must not be used.
     */
    synchronized boolean open(long nonce, long data, int len, long outl) {
        if (ctx == 0) {
            return false;
        }
        try {
            return (int) LibCrypto.CIPHER_INIT_NONCE.invokeExact(ctx, 0L, 0L, 0L, nonce, 0) == 1
                    && (int) LibCrypto.CTX_CTRL.invokeExact(ctx, LibCrypto.EVP_CTRL_AEAD_SET_TAG,
                            TransportCipher.TAG_LENGTH, data + len) == 1
                    && (int) LibCrypto.CIPHER_UPDATE.invokeExact(ctx, data, outl, data, len) == 1
                    && (int) LibCrypto.CIPHER_FINAL.invokeExact(ctx, data + len, outl) == 1;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    synchronized boolean isFreed() {
        return ctx == 0;
    }

    /** Frees the context and with it OpenSSL's copy of the key; idempotent. */
    synchronized void free() {
        if (ctx != 0) {
            long c = ctx;
            ctx = 0;
            try {
                LibCrypto.CTX_FREE.invokeExact(c);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }
    }
}
