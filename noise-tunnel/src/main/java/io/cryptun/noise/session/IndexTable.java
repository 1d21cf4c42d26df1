package io.cryptun.noise.session;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.function.IntSupplier;

/**
 * The table behind WireGuard's receiver indices: random 32-bit values we hand out as our sender
 * index in a handshake, which the peer then puts into every message addressed to us. The value under
 * an index is first a handshake record and, once the handshake completes, the keypair record
 * ({@link #replace}).
 *
 * <p>Every 32-bit value is a valid index, including 0 and negative {@code int}s (the index is
 * unsigned on the wire). Values are never null.
 *
 * <p>Concurrency: writers ({@link #allocate}, {@link #replace}, {@link #remove}) are serialized by a
 * lock. {@link #get} takes no lock and allocates nothing (it is called for every received packet): the
 * table is open addressing with linear probing over an array of immutable entries read with acquire
 * semantics. Removal leaves a tombstone so that probe chains stay intact for concurrent readers; a
 * resize or tombstone purge builds a fresh array completely and publishes it with one volatile write,
 * and no writer touches an array after it has been replaced. A reader therefore sees, for the index it
 * asks about, a state the table had at some moment during the call.
 */
public final class IndexTable<V> {
    /** The kernel's limit on peers per device, used as the default bound on live indices. */
    public static final int DEFAULT_MAX_SIZE = 1 << 20;
    /**
     * How many times {@link #allocate} draws a random index before giving up. With at most 2^20 of 2^32
     * indices in use, a fair random source fails this many draws in a row with probability below
     * 2^-12000; reaching it means the source is broken.
     */
    public static final int MAX_ALLOCATION_ATTEMPTS = 1000;

    private static final int MIN_CAPACITY = 16;
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Entry[].class);

    private static final class Entry {
        final int index;
        final Object value;

        Entry(int index, Object value) {
            this.index = index;
            this.value = value;
        }
    }

    /** Marks a removed slot: readers and inserts must probe past it, unlike an empty slot. */
    private static final Entry TOMBSTONE = new Entry(0, null);

    private final IntSupplier random;
    private final int maxSize;
    private final Object writeLock = new Object();
    private volatile Entry[] slots;
    private volatile int size;
    /** Slots holding a live entry or a tombstone; guarded by writeLock. */
    private int occupied;

    /**
     * @param random source of candidate indices (in production a {@link java.security.SecureRandom},
     *               e.g. {@code secureRandom::nextInt}); indices must be unpredictable to peers
     */
    public IndexTable(IntSupplier random) {
        this(random, DEFAULT_MAX_SIZE);
    }

    /** @param maxSize most live indices at once; {@link #allocate} throws beyond it */
    public IndexTable(IntSupplier random, int maxSize) {
        this.random = Objects.requireNonNull(random, "random");
        if (maxSize < 1 || maxSize > (1 << 29)) {
            throw new IllegalArgumentException("maxSize must be in [1, 2^29], was " + maxSize);
        }
        this.maxSize = maxSize;
        this.slots = new Entry[MIN_CAPACITY];
    }

    /**
     * Stores {@code value} under a fresh random index not currently in use and returns the index.
     *
     * @throws IllegalStateException if {@link #maxSize()} indices are live, or the random source kept
     *                               returning indices in use
     */
    public int allocate(V value) {
        Objects.requireNonNull(value, "value");
        synchronized (writeLock) {
            if (size >= maxSize) {
                throw new IllegalStateException("index table full: " + size + " indices in use (limit " + maxSize + ")");
            }
            for (int attempt = 0; attempt < MAX_ALLOCATION_ATTEMPTS; attempt++) {
                int index = random.getAsInt();
                if (insertIfAbsent(index, value)) {
                    return index;
                }
            }
            throw new IllegalStateException("random source returned only indices already in use after "
                    + MAX_ALLOCATION_ATTEMPTS + " attempts");
        }
    }

    /** The value under {@code index}, or null. Lock-free and allocation-free. */
    @SuppressWarnings("unchecked")
    public V get(int index) {
        Entry[] s = slots;
        int mask = s.length - 1;
        int i = home(index, mask);
        // The array always keeps an empty slot, so the probe ends; the bound is a second guard.
        for (int probes = 0; probes <= mask; probes++) {
            Entry e = (Entry) SLOT.getAcquire(s, i);
            if (e == null) {
                return null;
            }
            if (e != TOMBSTONE && e.index == index) {
                return (V) e.value;
            }
            i = (i + 1) & mask;
        }
        return null;
    }

    /** True if {@code index} is in use. */
    public boolean contains(int index) {
        return get(index) != null;
    }

    /**
     * Puts {@code value} under an index that is in use (e.g. a keypair in place of its handshake).
     *
     * @return false, changing nothing, if the index is not in use
     */
    public boolean replace(int index, V value) {
        Objects.requireNonNull(value, "value");
        synchronized (writeLock) {
            Entry[] s = slots;
            int at = find(s, index);
            if (at < 0) {
                return false;
            }
            SLOT.setRelease(s, at, new Entry(index, value));
            return true;
        }
    }

    /**
     * Puts {@code value} under {@code index} only if the value there now is {@code expected} (the same
     * object: compared with {@code ==}).
     */
    public boolean replace(int index, V expected, V value) {
        Objects.requireNonNull(value, "value");
        synchronized (writeLock) {
            Entry[] s = slots;
            int at = find(s, index);
            if (at < 0 || s[at].value != expected) {
                return false;
            }
            SLOT.setRelease(s, at, new Entry(index, value));
            return true;
        }
    }

    /** Frees {@code index}; returns the value it held, or null if it was not in use. */
    @SuppressWarnings("unchecked")
    public V remove(int index) {
        synchronized (writeLock) {
            Entry[] s = slots;
            int at = find(s, index);
            if (at < 0) {
                return null;
            }
            Object old = s[at].value;
            removeAt(s, at);
            return (V) old;
        }
    }

    /**
     * Frees {@code index} only if it holds {@code expected} (the same object: compared with
     * {@code ==}), so a stale holder cannot free an index that has since been handed to someone else.
     */
    public boolean remove(int index, V expected) {
        synchronized (writeLock) {
            Entry[] s = slots;
            int at = find(s, index);
            if (at < 0 || s[at].value != expected) {
                return false;
            }
            removeAt(s, at);
            return true;
        }
    }

    /** Number of indices in use. */
    public int size() {
        return size;
    }

    public int maxSize() {
        return maxSize;
    }

    /** Current slot count (tests check resizing and purging). */
    int capacity() {
        return slots.length;
    }

    /** Spreads random-looking and adversarial indices alike over the slots (Fibonacci hashing). */
    static int home(int index, int mask) {
        int h = index * 0x9E3779B9;
        return (h ^ (h >>> 16)) & mask;
    }

    /** Slot of {@code index} in {@code s}, or -1. Caller holds the write lock. */
    private static int find(Entry[] s, int index) {
        int mask = s.length - 1;
        int i = home(index, mask);
        for (int probes = 0; probes <= mask; probes++) {
            Entry e = s[i];
            if (e == null) {
                return -1;
            }
            if (e != TOMBSTONE && e.index == index) {
                return i;
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    private void removeAt(Entry[] s, int at) {
        // Clearing to null could cut a probe chain that readers are following: leave a tombstone.
        SLOT.setRelease(s, at, TOMBSTONE);
        size = size - 1;
        // Give memory back after a burst (e.g. a handshake flood) has drained.
        if (s.length > MIN_CAPACITY && size < s.length / 16) {
            rebuild(size);
        }
    }

    /** Caller holds the write lock. */
    private boolean insertIfAbsent(int index, Object value) {
        if (occupied + 1 > slots.length / 4 * 3) {
            rebuild(size + 1);
        }
        Entry[] s = slots;
        int mask = s.length - 1;
        int i = home(index, mask);
        int firstTombstone = -1;
        while (true) {
            Entry e = s[i];
            if (e == null) {
                break;
            }
            if (e == TOMBSTONE) {
                if (firstTombstone < 0) {
                    firstTombstone = i;
                }
            } else if (e.index == index) {
                return false;
            }
            i = (i + 1) & mask;
        }
        // Reusing a tombstone is safe for readers: they probe past tombstones until an empty slot,
        // and the new entry sits earlier on the same chain.
        int at = firstTombstone >= 0 ? firstTombstone : i;
        if (at == i) {
            occupied++;
        }
        SLOT.setRelease(s, at, new Entry(index, value));
        size = size + 1;
        return true;
    }

    /**
     * Copies the live entries into a fresh array sized so {@code liveAfter} entries fill at most half
     * of it (dropping tombstones, growing or shrinking as needed), then publishes it. Growing happens
     * when live entries and tombstones exceed 3/4 of the slots, shrinking when live entries fall below
     * 1/16, so each rebuild is paid for by many operations.
     */
    private void rebuild(int liveAfter) {
        int capacity = MIN_CAPACITY;
        while (capacity / 2 < liveAfter) {
            capacity <<= 1;
        }
        Entry[] old = slots;
        Entry[] fresh = new Entry[capacity];
        int mask = capacity - 1;
        for (Entry e : old) {
            if (e != null && e != TOMBSTONE) {
                int i = home(e.index, mask);
                while (fresh[i] != null) {
                    i = (i + 1) & mask;
                }
                fresh[i] = e;
            }
        }
        occupied = size;
        slots = fresh; // volatile write publishes the fully built array
    }
}
