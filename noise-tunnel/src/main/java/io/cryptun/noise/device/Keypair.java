package io.cryptun.noise.device;

import io.cryptun.noise.crypto.TransportKey;
import io.cryptun.noise.session.ReplayWindow;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One session's transport keys: created by a completed handshake, used for at most
 * REJECT_AFTER_TIME, then retired, at which point its keys are zeroed. A sender or receiver that
 * used a keypair concurrently with its retirement discards the packet (checked after sealing or
 * opening), so zeroed keys never protect anything on the wire.
 */
public final class Keypair {
    final Peer peer;
    final TransportKey sendKey;
    final TransportKey receiveKey;
    final AtomicLong sendCounter = new AtomicLong();
    final ReplayWindow replay = new ReplayWindow(Protocol.REJECT_AFTER_MESSAGES);
    final boolean initiator;
    final long createdAt;
    final int localIndex;
    final int remoteIndex;
    private volatile boolean retired;

    Keypair(Peer peer, byte[] sendKey, byte[] receiveKey, boolean initiator, long createdAt, int localIndex,
            int remoteIndex) {
        this.peer = peer;
        this.sendKey = new TransportKey(sendKey);
        this.receiveKey = new TransportKey(receiveKey);
        this.initiator = initiator;
        this.createdAt = createdAt;
        this.localIndex = localIndex;
        this.remoteIndex = remoteIndex;
    }

    /** Usable for sending: not retired, younger than REJECT_AFTER_TIME, counter below the limit. */
    boolean usableForSending(long now) {
        return !retired && now - createdAt < Protocol.REJECT_AFTER_TIME
                && !Protocol.counterAtOrPast(sendCounter.get(), Protocol.REJECT_AFTER_MESSAGES);
    }

    boolean expired(long now) {
        return now - createdAt >= Protocol.REJECT_AFTER_TIME;
    }

    boolean isRetired() {
        return retired;
    }

    /** Marks the keypair dead, then zeroes its keys (in that order: see the class comment). */
    void retire() {
        retired = true;
        sendKey.destroy();
        receiveKey.destroy();
    }

    public boolean isInitiator() {
        return initiator;
    }

    public long createdAt() {
        return createdAt;
    }

    public long sendCounter() {
        return sendCounter.get();
    }

    public int localIndex() {
        return localIndex;
    }

    public int remoteIndex() {
        return remoteIndex;
    }

    /** True once zeroed (for tests and invariant checks). */
    public boolean keysZeroed() {
        return sendKey.isDestroyed() && receiveKey.isDestroyed();
    }
}
