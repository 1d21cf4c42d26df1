package io.cryptun.noise.session;

import io.cryptun.noise.crypto.TransportKey;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One session's transport keys: created by a completed handshake, used for at most
 * REJECT_AFTER_TIME, then retired, at which point its keys are zeroed. A sender or receiver that
 * used a keypair concurrently with its retirement discards the packet (checked after sealing or
 * opening), so zeroed keys never protect anything on the wire.
 *
 * <p>The protocol's limits and timers are the device's business: a keypair knows only its message
 * limit (REJECT_AFTER_MESSAGES), for its replay window and for {@link #stopSending()}.
 */
public final class Keypair {
    private final Object owner;
    private final TransportKey sendKey;
    private final TransportKey receiveKey;
    private final AtomicLong sendCounter = new AtomicLong();
    private final long messageLimit;
    private final ReplayWindow replay;
    private final boolean initiator;
    private final long createdAt;
    private final int localIndex;
    private final int remoteIndex;
    private volatile boolean retired;

    /**
     * A keypair of {@code owner} (the device's peer: an Object, so that sessions do not depend on
     * the device) that sends and receives at most {@code messageLimit} messages.
     */
    public Keypair(Object owner, byte[] sendKey, byte[] receiveKey, boolean initiator, long createdAt, int localIndex,
                   int remoteIndex, long messageLimit) {
        this.owner = owner;
        this.sendKey = new TransportKey(sendKey);
        this.receiveKey = new TransportKey(receiveKey);
        this.messageLimit = messageLimit;
        this.replay = new ReplayWindow(messageLimit);
        this.initiator = initiator;
        this.createdAt = createdAt;
        this.localIndex = localIndex;
        this.remoteIndex = remoteIndex;
    }

    /** Whose session this is: the owner given to the constructor. */
    public Object owner() {
        return owner;
    }

    public TransportKey sendKey() {
        return sendKey;
    }

    public TransportKey receiveKey() {
        return receiveKey;
    }

    /** The counter for the next message sent (once at or past the message limit, none may be sent). */
    public long nextSendCounter() {
        return sendCounter.getAndIncrement();
    }

    /** No more messages may be sent with this keypair: its send counter is put at the message limit. */
    public void stopSending() {
        sendCounter.set(messageLimit);
    }

    /** Puts the send counter at {@code counter}: lets tests reach the message limits without sending 2^60 messages. */
    public void setSendCounterForTesting(long counter) {
        sendCounter.set(counter);
    }

    /** Whether a message with this counter, authenticated, is new: not a replay, not too old, below the limit. */
    public boolean acceptReceived(long counter) {
        synchronized (replay) {
            return replay.validate(counter);
        }
    }

    public boolean isRetired() {
        return retired;
    }

    /** Marks the keypair dead, then zeroes its keys (in that order: see the class comment). */
    public void retire() {
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
