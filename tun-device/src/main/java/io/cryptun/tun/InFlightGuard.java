package io.cryptun.tun;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts system calls in progress on a device's file descriptors so that close() releases the descriptor numbers
 * only after every call using them has returned: a closed fd number can be reused by the process at once, and a
 * late read on it would hit some unrelated file.
 */
final class InFlightGuard {

    private static final long CLOSED = 1L << 62;

    private final AtomicLong state = new AtomicLong();

    /** Registers a call; false if closing has begun (the caller must not touch the descriptors). */
    boolean enter() {
        for (;;) {
            long s = state.get();
            if ((s & CLOSED) != 0) {
                return false;
            }
            if (state.compareAndSet(s, s + 1)) {
                return true;
            }
        }
    }

    void exit() {
        if (state.decrementAndGet() == CLOSED) {
            synchronized (this) {
                notifyAll();
            }
        }
    }

    boolean isClosed() {
        return (state.get() & CLOSED) != 0;
    }

    /** Marks the guard closed; true for the one caller that did so. New calls are refused from now on. */
    boolean beginClose() {
        for (;;) {
            long s = state.get();
            if ((s & CLOSED) != 0) {
                return false;
            }
            if (state.compareAndSet(s, s | CLOSED)) {
                return true;
            }
        }
    }

    /** After {@link #beginClose()}, waits until no registered call is left. */
    void awaitNoneInFlight() {
        boolean interrupted = false;
        synchronized (this) {
            while (state.get() != CLOSED) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true; // the fds must not be closed under a running call; finish waiting
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
