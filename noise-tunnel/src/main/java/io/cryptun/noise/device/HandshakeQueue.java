package io.cryptun.noise.device;

import java.net.InetSocketAddress;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Handshake messages waiting for the handshake worker. Bounded: when full, new messages are
 * dropped (and counted) rather than queued, and its depth is where "under load" begins.
 */
public final class HandshakeQueue {
    /**
     * One received handshake message, copied out of the receive buffer. {@code admitted}: it
     * already passed the under-load checks (mac1, mac2, rate limit) when it arrived.
     */
    public record Item(byte[] message, InetSocketAddress from, boolean admitted) {
        /** A message not checked yet. */
        public Item(byte[] message, InetSocketAddress from) {
            this(message, from, false);
        }
    }

    private final ArrayBlockingQueue<Item> queue;

    HandshakeQueue(int capacity) {
        this.queue = new ArrayBlockingQueue<>(capacity);
    }

    boolean offer(Item item) {
        return queue.offer(item);
    }

    public Item poll() {
        return queue.poll();
    }

    /** Waits up to {@code timeoutMillis} for a message; null on timeout. */
    public Item poll(long timeoutMillis) throws InterruptedException {
        return queue.poll(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    public int size() {
        return queue.size();
    }
}
