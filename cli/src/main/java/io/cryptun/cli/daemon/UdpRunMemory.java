package io.cryptun.cli.daemon;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Memory for segmented sends, made once and reused. The buffer allocator cannot serve runs this
 * large without a cost per run: with a maximum heap under 512 MB (ours is 256) Netty's adaptive
 * allocator pools nothing above 16,896 bytes and falls back to a fresh direct buffer, zeroed and freed
 * again, for every run that grows past that (each TSO super-packet's, after two copies as it grew): 2%
 * of the sending daemon's CPU in a TCP stream, measured. This memory is zeroed once, and comes back
 * when the event loop has sent it.
 */
final class UdpRunMemory {
    /** Runs in flight at once that get memory of their own; beyond, a run takes the allocator's. */
    private static final int KEPT = 8;

    private final int size;
    /** Memory back from the event loop, ready for the next run. */
    private final ArrayBlockingQueue<ByteBuffer> spare = new ArrayBlockingQueue<>(KEPT);
    private final AtomicInteger made = new AtomicInteger();

    UdpRunMemory(int size) {
        this.size = size;
    }

    /** Memory for one run, or null when {@link #KEPT} of them are in flight already. */
    ByteBuffer take() {
        ByteBuffer m = spare.poll();
        if (m == null) {
            int n = made.get();
            if (n < KEPT && made.compareAndSet(n, n + 1)) {
                m = ByteBuffer.allocateDirect(size);
            }
        }
        return m;
    }

    /** Called once the run's send is done, sent or failed. */
    void giveBack(ByteBuffer m) {
        m.clear();
        spare.offer(m);
    }

    /** Memory made so far (tests: it is reused, not made again). */
    int made() {
        return made.get();
    }
}
