package io.cryptun.noise.device;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * When each peer next needs attention. Peers keep their timer deadlines themselves; this queue
 * only holds "look at peer P at time T" entries, pushed when a deadline moves earlier than the
 * one already queued for that peer. Entries may be stale: a popped peer re-examines its own
 * deadlines and queues the next one. So arming a later deadline or cancelling one costs nothing
 * here, which keeps the packet path off this lock almost always.
 */
final class TimerQueue {
    static final long NEVER = Long.MAX_VALUE;

    private record Entry(long at, Peer peer) {
    }

    private final PriorityQueue<Entry> queue = new PriorityQueue<>((a, b) -> Long.compare(a.at, b.at));
    /**
     * The thread to wake when a new earliest deadline is queued. A thread, not a callback: the
     * warm-up's devices and the daemon's then run the same code here (two callback classes made the
     * JIT's code of the warm-up invalid at the daemon's first packet).
     */
    private volatile Thread timerThread;

    /** Asks that {@code peer} be examined no later than {@code at}. */
    void schedule(Peer peer, long at) {
        if (at >= peer.scheduledAt) {
            return;
        }
        boolean earliest;
        synchronized (this) {
            if (at >= peer.scheduledAt) {
                return;
            }
            peer.scheduledAt = at;
            queue.add(new Entry(at, peer));
            earliest = queue.peek().peer == peer && queue.peek().at == at;
        }
        Thread t = timerThread;
        if (earliest && t != null) {
            LockSupport.unpark(t);
        }
    }

    /** Removes and returns the distinct peers due at {@code now}. */
    List<Peer> due(long now) {
        List<Peer> out = null;
        synchronized (this) {
            Entry e;
            while ((e = queue.peek()) != null && e.at <= now) {
                queue.poll();
                // only the entry matching the peer's recorded deadline is live; others are stale
                if (e.peer.scheduledAt == e.at) {
                    e.peer.scheduledAt = NEVER;
                    if (out == null) {
                        out = new ArrayList<>();
                    }
                    out.add(e.peer);
                }
            }
        }
        return out == null ? List.of() : out;
    }

    /** The earliest queued deadline, or NEVER. */
    synchronized long nextDeadline() {
        Entry e = queue.peek();
        return e == null ? NEVER : e.at;
    }

    synchronized int size() {
        return queue.size();
    }

    /** Wakes the timer thread for work that is due now but not a deadline (see PreparedHandshakes). */
    void wake() {
        Thread t = timerThread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** The thread unparked (outside any lock) whenever a new earliest deadline is queued. */
    void wakeOnEarlierDeadline(Thread t) {
        timerThread = t;
    }
}
