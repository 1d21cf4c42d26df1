package io.cryptun.noise.session;

import java.util.Arrays;

/**
 * Sliding-window replay filter for the 64-bit counters of transport data messages (RFC 6479 ring,
 * the geometry of the Linux kernel's WireGuard and of wireguard-go): a ring of 128 64-bit words,
 * i.e. 8192 bits, of which one word is slack, so counters up to {@value #WINDOW_SIZE} behind the
 * highest one accepted can still arrive out of order.
 *
 * <p>Counters are <em>unsigned</em> 64-bit values held in a {@code long}; every comparison here is
 * unsigned. Counters at or above the reject limit are always refused, whatever the window says.
 *
 * <p>Call {@link #validate} only for packets whose authentication tag has been verified, otherwise a
 * forged counter would advance the window and make genuine packets look old.
 *
 * <p>Not thread-safe: one instance belongs to one receiving keypair, and its packets must be
 * validated one at a time (the caller serializes, as the kernel does with a per-counter lock).
 * {@link #validate} never allocates.
 */
public final class ReplayWindow {
    private static final int WORD_BITS_LOG = 6;
    /** Bits per ring word. */
    public static final int WORD_BITS = 1 << WORD_BITS_LOG;
    /** Words in the ring; a power of two. */
    public static final int RING_WORDS = 128;
    /** Total bits in the ring (the kernel's {@code COUNTER_BITS_TOTAL}). */
    public static final int RING_BITS = RING_WORDS * WORD_BITS;
    /**
     * How far behind the highest accepted counter a counter may be and still be accepted (the
     * kernel's {@code COUNTER_WINDOW_SIZE}); one word of the ring is kept as slack so that advancing
     * never clears bits still inside the window.
     */
    public static final int WINDOW_SIZE = RING_BITS - WORD_BITS;

    /**
     * The kernel's {@code REJECT_AFTER_MESSAGES}: {@code U64_MAX - COUNTER_WINDOW_SIZE - 1} =
     * 2^64 − 8130, as an unsigned value in a {@code long}. The default limit.
     */
    public static final long REJECT_AFTER_MESSAGES_KERNEL = -1L - WINDOW_SIZE - 1;
    /**
     * The whitepaper's and wireguard-go's {@code RejectAfterMessages}: 2^64 − 2^13 − 1 = 2^64 − 8193,
     * as an unsigned value in a {@code long}.
     */
    public static final long REJECT_AFTER_MESSAGES_WHITEPAPER = -(1L << 13) - 1;

    private static final int RING_MASK = RING_WORDS - 1;

    private final long rejectAfterMessages;
    private final long[] ring = new long[RING_WORDS];
    /** One more than the highest counter accepted so far; 0 while nothing has been accepted. */
    private long next;

    /** A window that rejects counters at or above {@link #REJECT_AFTER_MESSAGES_KERNEL}. */
    public ReplayWindow() {
        this(REJECT_AFTER_MESSAGES_KERNEL);
    }

    /**
     * A window that rejects counters {@code >= rejectAfterMessages}, compared unsigned (so
     * {@code -1L} means 2^64 − 1).
     */
    public ReplayWindow(long rejectAfterMessages) {
        this.rejectAfterMessages = rejectAfterMessages;
    }

    /** The reject limit, an unsigned value. */
    public long rejectAfterMessages() {
        return rejectAfterMessages;
    }

    /**
     * Returns true and records {@code counter} (unsigned) if it is below the reject limit, not too
     * far behind the highest counter seen, and not seen before; returns false otherwise, leaving the
     * state unchanged.
     */
    public boolean validate(long counter) {
        if (Long.compareUnsigned(counter, rejectAfterMessages) >= 0) {
            return false;
        }
        // Shifting by one (as the kernel does) lets next == 0 mean "nothing accepted yet"; it cannot
        // wrap because counter < rejectAfterMessages <= 2^64 - 1.
        long n = counter + 1;
        if (Long.compareUnsigned(n, next) > 0) {
            long newWord = n >>> WORD_BITS_LOG;
            long currentWord = next >>> WORD_BITS_LOG;
            // Words between the old and the new top are stale from one trip around the ring ago.
            long gap = newWord - currentWord;
            int clear = gap >= RING_WORDS ? RING_WORDS : (int) gap;
            for (int i = 1; i <= clear; i++) {
                ring[(int) ((currentWord + i) & RING_MASK)] = 0;
            }
            next = n;
        } else if (Long.compareUnsigned(next - n, WINDOW_SIZE) > 0) {
            return false;
        }
        int word = (int) ((n >>> WORD_BITS_LOG) & RING_MASK);
        long bit = 1L << n; // Java masks the shift distance to its low six bits
        long old = ring[word];
        if ((old & bit) != 0) {
            return false;
        }
        ring[word] = old | bit;
        return true;
    }

    /** Forgets every counter seen, as for a fresh keypair. */
    public void reset() {
        Arrays.fill(ring, 0L);
        next = 0;
    }
}
