package io.cryptun.tun.offload;

import java.util.Arrays;

/**
 * An allocation-free open-addressing map from a flow (found by hash, confirmed by a caller-supplied comparison of
 * packet bytes) to the index of the flow's most recent item in a {@link GroCoalescer} batch. Entries are never
 * removed one by one; {@link #clear()} empties the table between batches in time proportional to its use.
 */
final class FlowTable {

    /** Compares the flow of an item already in the table with the flow of a new packet. */
    interface Matcher {
        boolean sameFlow(int item, int packet);
    }

    private static final int EMPTY = -1;

    private final int mask;
    private final int[] hashes;
    private final int[] items;
    private final int[] used;
    private int usedCount;

    /** A table for at most {@code maxEntries} flows; kept at most half full so probes stay short. */
    FlowTable(int maxEntries) {
        int capacity = Integer.highestOneBit(Math.max(2, maxEntries) * 2 - 1) << 1;
        mask = capacity - 1;
        hashes = new int[capacity];
        items = new int[capacity];
        used = new int[maxEntries];
        Arrays.fill(items, EMPTY);
    }

    /**
     * The slot holding the flow of {@code packet}, or the empty slot where it belongs. The caller must not look up
     * more distinct flows than {@code maxEntries} between clears.
     */
    int find(int hash, int packet, Matcher matcher) {
        int slot = hash & mask;
        while (items[slot] != EMPTY) {
            if (hashes[slot] == hash && matcher.sameFlow(items[slot], packet)) {
                return slot;
            }
            slot = (slot + 1) & mask;
        }
        return slot;
    }

    /** The item stored in {@code slot}, or -1 if the slot is empty. */
    int itemAt(int slot) {
        return items[slot];
    }

    void set(int slot, int hash, int item) {
        if (items[slot] == EMPTY) {
            used[usedCount++] = slot;
            hashes[slot] = hash;
        }
        items[slot] = item;
    }

    void clear() {
        for (int i = 0; i < usedCount; i++) {
            items[used[i]] = EMPTY;
        }
        usedCount = 0;
    }
}
