package io.cryptun.noise.cookie;

import io.cryptun.noise.crypto.Blake2s;
import org.bouncycastle.crypto.digests.Blake2sDigest;

/**
 * Checks mac1, keyed BLAKE2s-128 under the responder's fixed mac1 key, for every handshake-sized
 * datagram on the receiving thread: under a flood it is most of that thread's work (issue 11).
 * Each thread keeps one Bouncy Castle digest keyed once; a digest goes back to its keyed state
 * after each MAC, so a check allocates nothing.
 *
 * <p>The mac1 key is derived from the responder's public key: nothing secret is kept here.
 */
public final class Mac1Verifier {
    private final byte[] key;
    private final ThreadLocal<Scratch> scratch;

    /** A thread's digest, keyed with this verifier's key, and room for the MAC it computes. */
    private static final class Scratch {
        final Blake2sDigest digest;
        final byte[] mac = new byte[Blake2s.MAC_LENGTH];

        Scratch(byte[] key) {
            digest = new Blake2sDigest(key, Blake2s.MAC_LENGTH, null, null);
        }
    }

    /** @param key the 32-byte mac1 key, LABEL_MAC1 hashed with the responder's public key */
    public Mac1Verifier(byte[] key) {
        if (key.length != 32) {
            throw new IllegalArgumentException("mac1 key must be 32 bytes");
        }
        this.key = key.clone();
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(this.key));
    }

    /**
     * True when the 16 bytes at {@code msg[macOff]} are MAC(key, msg[off, off+len)), compared in
     * constant time.
     */
    public boolean verify(byte[] msg, int off, int len, int macOff) {
        Scratch s = scratch.get();
        s.digest.update(msg, off, len);
        // doFinal leaves the digest keyed again, ready for the next message
        s.digest.doFinal(s.mac, 0);
        return Blake2s.equalsConstantTime(s.mac, 0, msg, macOff, Blake2s.MAC_LENGTH);
    }
}
