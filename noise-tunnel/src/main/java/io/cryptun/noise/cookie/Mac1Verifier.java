package io.cryptun.noise.cookie;

import io.cryptun.noise.crypto.Blake2s;

/**
 * Checks mac1, keyed BLAKE2s-128 under the responder's fixed mac1 key, for every handshake-sized
 * datagram on the receiving thread: under a flood it is most of that thread's work (issue 11). The
 * key block is the same for every message, so the state after it is computed once per key and each
 * message costs only its own blocks (two for an initiation, one for a response, instead of three
 * and two), through {@link Blake2sMac} without allocating.
 *
 * <p>Immutable after construction; the per-call scratch is thread-local.
 */
public final class Mac1Verifier {
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** A thread's message words and chaining value. */
    private static final class Scratch {
        final int[] m = new int[16];
        final int[] h = new int[8];
    }

    private final byte[] key;
    /** The chaining value after the key block, which every message of this key starts from. */
    private final int[] afterKey = new int[8];

    /** @param key the 32-byte mac1 key, LABEL_MAC1 hashed with the responder's public key */
    public Mac1Verifier(byte[] key) {
        if (key.length != 32) {
            throw new IllegalArgumentException("mac1 key must be 32 bytes");
        }
        this.key = key.clone();
        Blake2sMac.keyBlock(this.key, 0, 32, afterKey, new int[16]);
    }

    /**
     * True when the 16 bytes at {@code msg[macOff]} are MAC(key, msg[off, off+len)), compared in
     * constant time.
     */
    public boolean verify(byte[] msg, int off, int len, int macOff) {
        if (len < 1) {
            // the key block alone would be the last block: not a shape mac1 ever has
            return Blake2s.equalsConstantTime(Blake2s.mac(key, msg, off, len), 0, msg, macOff, Blake2s.MAC_LENGTH);
        }
        Scratch s = SCRATCH.get();
        System.arraycopy(afterKey, 0, s.h, 0, 8);
        Blake2sMac.absorbLast(s.h, s.m, msg, off, len);
        return Blake2sMac.macEquals(s.h, msg, macOff);
    }
}
