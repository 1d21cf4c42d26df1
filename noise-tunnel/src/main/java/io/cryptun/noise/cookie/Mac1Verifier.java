package io.cryptun.noise.cookie;

import io.cryptun.noise.crypto.Blake2s;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.bouncycastle.crypto.digests.Blake2sDigest;

/**
 * Checks mac1, keyed BLAKE2s-128 under the responder's fixed mac1 key, for every handshake-sized
 * datagram on the receiving thread: under a flood it is most of that thread's work (issue 11).
 * One Bouncy Castle digest is keyed when the verifier is made, on the thread that sets the key,
 * and lent to whichever thread checks a message; a thread that finds it lent (several receive
 * threads under a flood) keeps one of its own. A digest goes back to its keyed state after each
 * MAC, so a check allocates nothing. Keying on the receiving thread instead cost a cold daemon's
 * first handshake messages 40-80 us each: once per thread and key, so always in the interpreter.
 *
 * <p>The mac1 key is derived from the responder's public key: nothing secret is kept here.
 */
public final class Mac1Verifier {
    private final byte[] key;
    private final ThreadLocal<Scratch> scratch;
    /** The digest keyed at construction, when no thread has it. */
    private final AtomicReference<Scratch> spare;
    /** Digests keyed by checking threads because the spare was lent (tests). */
    private final AtomicInteger threadDigests = new AtomicInteger();

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
        this.scratch = ThreadLocal.withInitial(() -> {
            threadDigests.incrementAndGet();
            return new Scratch(this.key);
        });
        this.spare = new AtomicReference<>(new Scratch(this.key));
    }

    /**
     * True when the 16 bytes at {@code msg[macOff]} are MAC(key, msg[off, off+len)), compared in
     * constant time.
     */
    public boolean verify(byte[] msg, int off, int len, int macOff) {
        Scratch s = spare.getAndSet(null);
        boolean lent = s != null;
        if (!lent) {
            s = scratch.get();
        }
        s.digest.update(msg, off, len);
        // doFinal leaves the digest keyed again, ready for the next message
        s.digest.doFinal(s.mac, 0);
        boolean ok = Blake2s.equalsConstantTime(s.mac, 0, msg, macOff, Blake2s.MAC_LENGTH);
        if (lent) {
            spare.set(s);
        }
        return ok;
    }

    /** How many digests checking threads keyed for themselves (tests). */
    int threadDigests() {
        return threadDigests.get();
    }
}
