package io.cryptun.noise.crypto;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * OpenSSL's ChaCha20-Poly1305 ({@code EVP_chacha20_poly1305}, libcrypto 3) through the JDK's
 * foreign function API: JDK 22 and later, where libcrypto is installed (Debian: libssl3).
 *
 * <p>Each {@link TransportKey} gets one keyed {@code EVP_CIPHER_CTX} ({@link OpenSslCipherContext}),
 * freed with the key; a packet only sets its nonce on it. This object (one per thread, as the
 * interface asks) owns the native memory a packet passes through, allocated once: the packet is
 * copied in, sealed or opened there in place, and copied back (the data path's buffers are heap
 * arrays, which native code cannot address). Nothing is allocated per packet.
 *
 * <p>A failed open leaves the caller's buffer as it was: the unauthenticated plaintext stays in
 * the native scratch and is overwritten by the next packet.
 */
public final class OpenSslTransportCipher implements TransportCipher {
    private static final int OUTL_OFF = 0;
    private static final int NONCE_OFF = 16;
    private static final int KEY_OFF = 32;
    private static final int DATA_OFF = 64;
    /** Room for the largest packet the device handles (Worker.MAX_PACKET) and its tag. */
    private static final int DEFAULT_DATA_CAPACITY = 65535 + TAG_LENGTH;

    private ByteBuffer scratch;
    private long base;
    private int dataCapacity;

    public OpenSslTransportCipher() {
        if (!LibCrypto.isAvailable()) {
            throw new IllegalStateException(unavailableReason());
        }
        allocate(DEFAULT_DATA_CAPACITY);
    }

    public static boolean isAvailable() {
        return LibCrypto.isAvailable();
    }

    /** Why the backend cannot run on this JVM/system, or null when it can. */
    public static String unavailableReason() {
        String reason = LibCrypto.unavailableReason();
        return reason == null ? null : "the openssl backend is not available: " + reason;
    }

    private void allocate(int capacity) {
        scratch = ByteBuffer.allocateDirect(DATA_OFF + capacity).order(ByteOrder.LITTLE_ENDIAN);
        base = LibCrypto.address(scratch);
        dataCapacity = capacity;
    }

    @Override
    public int seal(TransportKey key, long counter, byte[] buf, int off, int len) {
        ensureRoom(len + TAG_LENGTH);
        OpenSslCipherContext ctx = key.openSslContext(this);
        writeNonce(counter);
        scratch.put(DATA_OFF, buf, off, len);
        if (ctx == null || !ctx.seal(base + NONCE_OFF, base + DATA_OFF, len, base + OUTL_OFF)) {
            if (ctx == null || ctx.isFreed()) {
                // the key was destroyed: the caller discards this packet; leave it no plaintext
                java.util.Arrays.fill(buf, off, off + len + TAG_LENGTH, (byte) 0);
                return len + TAG_LENGTH;
            }
            throw new IllegalStateException("libcrypto failed to seal a packet");
        }
        scratch.get(DATA_OFF, buf, off, len + TAG_LENGTH);
        return len + TAG_LENGTH;
    }

    @Override
    public int open(TransportKey key, long counter, byte[] buf, int off, int len) {
        if (len < TAG_LENGTH) {
            return -1;
        }
        ensureRoom(len);
        OpenSslCipherContext ctx = key.openSslContext(this);
        if (ctx == null) {
            return -1;
        }
        writeNonce(counter);
        int plain = len - TAG_LENGTH;
        scratch.put(DATA_OFF, buf, off, len);
        if (!ctx.open(base + NONCE_OFF, base + DATA_OFF, plain, base + OUTL_OFF)) {
            return -1;
        }
        scratch.get(DATA_OFF, buf, off, plain);
        return plain;
    }

    /** WireGuard's nonce: 4 zero bytes, then the counter little-endian. */
    private void writeNonce(long counter) {
        scratch.putInt(NONCE_OFF, 0);
        scratch.putLong(NONCE_OFF + 4, counter);
    }

    private void ensureRoom(int bytes) {
        if (bytes > dataCapacity) {
            // beyond any packet the device makes; kept correct rather than refused
            allocate(Math.max(bytes, 2 * dataCapacity));
        }
    }

    /** A context keyed with {@code raw}, staged in this cipher's native memory only for the call. */
    OpenSslCipherContext keyedContext(byte[] raw) {
        scratch.put(KEY_OFF, raw, 0, raw.length);
        try {
            return OpenSslCipherContext.create(base + KEY_OFF);
        } finally {
            for (int i = 0; i < raw.length; i += 8) {
                scratch.putLong(KEY_OFF + i, 0L);
            }
        }
    }

    @Override
    public String name() {
        return "openssl";
    }
}
