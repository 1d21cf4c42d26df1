package io.cryptun.noise.device;

import io.cryptun.noise.handshake.IkHandshake;
import java.util.Arrays;

/**
 * A peer's handshake bookkeeping, guarded by the peer's lock: the Noise state in progress, the
 * indices on both sides, the precomputed static-static DH, and the replay/flood guards for
 * initiations received from this peer.
 */
final class PeerHandshake {
    HandshakeState state = HandshakeState.ZEROED;
    IkHandshake noise;
    int localIndex;
    int remoteIndex;
    final byte[] precomputedStaticStatic = new byte[32];
    boolean staticStaticValid;
    /** Counts changes of the keys a handshake is made with: a preparation made before one is void. */
    int keysVersion;
    /** The next initiation, written ahead up to its payload ({@link PreparedHandshakes}), or null. */
    IkHandshake prepared;
    byte[] preparedPrefix;
    /** Queued for preparation already. */
    boolean preparationWanted;
    final byte[] lastTimestamp = new byte[12];
    long lastInitiationConsumed = Long.MIN_VALUE / 2;
    long lastSentHandshake = Long.MIN_VALUE / 2;
    /** One immediate retransmission per cookie reply, so a cookie does not wait for the 5 s timer. */
    boolean cookieRetrySent;

    /** Forgets the Noise state in progress (keeps the replay guards, which outlive sessions). */
    void clear() {
        if (noise != null) {
            noise.destroy();
            noise = null;
        }
        localIndex = 0;
        state = HandshakeState.ZEROED;
    }

    void setStaticStatic(byte[] ss, boolean valid) {
        keysVersion++;
        discardPrepared();
        if (valid) {
            System.arraycopy(ss, 0, precomputedStaticStatic, 0, 32);
        } else {
            Arrays.fill(precomputedStaticStatic, (byte) 0);
        }
        staticStaticValid = valid;
    }

    /** Drops (zeroes) the prepared initiation, made with keys that no longer hold. */
    void discardPrepared() {
        if (prepared != null) {
            prepared.destroy();
            prepared = null;
            preparedPrefix = null;
        }
    }
}
