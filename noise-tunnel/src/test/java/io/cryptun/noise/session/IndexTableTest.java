package io.cryptun.noise.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.testkit.Allocations;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;

class IndexTableTest {

    /** Hands out the scripted values in order, then fails the test if asked for more. */
    private static final class Script implements IntSupplier {
        private final Deque<Integer> values = new ArrayDeque<>();
        int calls;

        Script(int... values) {
            for (int v : values) {
                this.values.add(v);
            }
        }

        void add(int... more) {
            for (int v : more) {
                values.add(v);
            }
        }

        @Override
        public int getAsInt() {
            calls++;
            Integer v = values.poll();
            if (v == null) {
                throw new AssertionError("script exhausted");
            }
            return v;
        }
    }

    /** {@code count} distinct indices that all hash to the same home slot in a table of {@code capacity}. */
    private static int[] collidingIndices(int count, int capacity, int home) {
        int[] out = new int[count];
        int n = 0;
        for (int candidate = 1; n < count; candidate++) {
            if (IndexTable.home(candidate, capacity - 1) == home) {
                out[n++] = candidate;
            }
        }
        return out;
    }

    @Test
    void allocateReturnsTheScriptedIndexAndSkipsIndicesInUse() {
        Script script = new Script(7, 7, 7, 0, -1);
        IndexTable<String> t = new IndexTable<>(script);
        assertEquals(7, t.allocate("a"));
        assertEquals(0, t.allocate("b"), "7 is taken, so the next draw is used; 0 is a valid index");
        assertEquals(4, script.calls);
        assertEquals(-1, t.allocate("c"), "0xffffffff is a valid index");
        assertEquals("a", t.get(7));
        assertEquals("b", t.get(0));
        assertEquals("c", t.get(-1));
        assertNull(t.get(8));
        assertEquals(3, t.size());
    }

    @Test
    void probeChainsSurviveRemovalThroughTombstones() {
        int[] same = collidingIndices(5, 16, 3);
        Script script = new Script(same[0], same[1], same[2], same[3]);
        IndexTable<String> t = new IndexTable<>(script);
        for (int i = 0; i < 4; i++) {
            assertEquals(same[i], t.allocate("v" + i));
        }
        assertEquals(16, t.capacity(), "no resize yet, so the four share one chain");
        assertEquals("v1", t.remove(same[1]));
        assertNull(t.get(same[1]));
        assertEquals("v2", t.get(same[2]), "found past the tombstone");
        assertEquals("v3", t.get(same[3]));
        assertNull(t.get(same[4]));

        // the tombstone is reused, and the entries behind it are not duplicated
        script.add(same[3], same[4]);
        assertEquals(same[4], t.allocate("v4"));
        assertEquals("v4", t.get(same[4]));
        assertEquals("v3", t.get(same[3]));
        assertEquals(4, t.size());
        for (int i : new int[] {0, 2, 3, 4}) {
            assertTrue(t.contains(same[i]));
        }
        assertEquals("v3", t.remove(same[3]));
        assertNull(t.remove(same[3]));
        assertEquals("v4", t.get(same[4]));
    }

    @Test
    void conditionalRemoveAndReplaceCompareIdentity() {
        Script script = new Script(11);
        IndexTable<StringBuilder> t = new IndexTable<>(script);
        StringBuilder handshake = new StringBuilder("hs");
        StringBuilder keypair = new StringBuilder("kp");
        assertEquals(11, t.allocate(handshake));
        assertFalse(t.remove(11, new StringBuilder("hs")), "an equal-looking but different value is not it");
        assertFalse(t.replace(11, keypair, new StringBuilder("x")));
        assertTrue(t.replace(11, handshake, keypair));
        assertSame(keypair, t.get(11));
        assertFalse(t.remove(11, handshake), "stale holder");
        assertFalse(t.replace(12, keypair), "unused index");
        assertNull(t.get(12));
        assertTrue(t.replace(11, handshake));
        assertSame(handshake, t.get(11));
        assertTrue(t.remove(11, handshake));
        assertNull(t.get(11));
        assertEquals(0, t.size());
        assertFalse(t.replace(11, keypair), "freed index cannot be replaced");
    }

    @Test
    void nullValuesAreRejected() {
        IndexTable<String> t = new IndexTable<>(new Script(1));
        assertThrows(NullPointerException.class, () -> t.allocate(null));
        assertThrows(NullPointerException.class, () -> t.replace(1, null));
        assertThrows(IllegalArgumentException.class, () -> new IndexTable<String>(() -> 1, 0));
    }

    @Test
    void fullTableThrowsAClearErrorAndRecoversAfterRemoval() {
        IndexTable<String> t = new IndexTable<>(new SplittableRandom(1)::nextInt, 3);
        int a = t.allocate("a");
        t.allocate("b");
        t.allocate("c");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.allocate("d"));
        assertTrue(e.getMessage().contains("full"), e.getMessage());
        assertEquals(3, t.size());
        t.remove(a);
        int d = t.allocate("d");
        assertEquals("d", t.get(d));
    }

    @Test
    void brokenRandomSourceGivesUpInsteadOfHanging() {
        IndexTable<String> t = new IndexTable<>(() -> 42);
        assertEquals(42, t.allocate("a"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.allocate("b"));
        assertTrue(e.getMessage().contains("already in use"), e.getMessage());
        assertEquals(1, t.size());
    }

    @Test
    void allocateManyThenRemoveAllGrowsAndShrinks() {
        SplittableRandom rnd = new SplittableRandom(20);
        IndexTable<Integer> t = new IndexTable<>(rnd::nextInt);
        int n = 300_000;
        int[] indices = new int[n];
        Set<Integer> distinct = new HashSet<>();
        for (int i = 0; i < n; i++) {
            indices[i] = t.allocate(i);
            assertTrue(distinct.add(indices[i]));
        }
        assertEquals(n, t.size());
        assertTrue(t.capacity() >= n * 4 / 3 && t.capacity() <= 4 * n, "capacity " + t.capacity());
        for (int i = 0; i < n; i++) {
            assertEquals(i, t.get(indices[i]));
        }
        for (int i = 0; i < n; i++) {
            assertEquals(i, t.remove(indices[i]));
        }
        assertEquals(0, t.size());
        for (int i = 0; i < n; i += 97) {
            assertNull(t.get(indices[i]));
        }
        int again = t.allocate(-5);
        assertEquals(-5, t.get(again));
        assertEquals(16, t.capacity(), "the table shrinks back as it drains");
    }

    @Test
    void churnAtConstantSizeDoesNotGrowTheTable() {
        SplittableRandom rnd = new SplittableRandom(3);
        IndexTable<Integer> t = new IndexTable<>(rnd::nextInt);
        Deque<Integer> live = new ArrayDeque<>();
        for (int i = 0; i < 5; i++) {
            live.add(t.allocate(i));
        }
        for (int i = 0; i < 100_000; i++) {
            int gone = live.poll();
            assertTrue(t.remove(gone) != null);
            assertNull(t.get(gone));
            live.add(t.allocate(i));
            assertEquals(5, t.size());
        }
        assertEquals(16, t.capacity());
        for (int idx : live) {
            assertTrue(t.contains(idx));
        }
    }

    @Test
    void randomizedAgainstHashMap() {
        SplittableRandom rnd = new SplittableRandom(77);
        // a narrow index space forces collisions, reuse of freed indices and long probe chains
        IndexTable<Integer> t = new IndexTable<>(() -> rnd.nextInt(4096), 3000);
        Map<Integer, Integer> model = new HashMap<>();
        List<Integer> keys = new ArrayList<>();
        for (int op = 0; op < 400_000; op++) {
            int kind = rnd.nextInt(10);
            if (kind < 4 && model.size() < 3000) {
                int idx = t.allocate(op);
                assertNull(model.put(idx, op), "allocated an index in use");
                keys.add(idx);
            } else if (kind < 7 && !keys.isEmpty()) {
                int pos = rnd.nextInt(keys.size());
                int idx = keys.get(pos);
                assertEquals(model.remove(idx), t.remove(idx));
                keys.set(pos, keys.get(keys.size() - 1));
                keys.remove(keys.size() - 1);
            } else if (kind < 8 && !keys.isEmpty()) {
                int idx = keys.get(rnd.nextInt(keys.size()));
                assertTrue(t.replace(idx, -op));
                model.put(idx, -op);
            } else {
                int idx = rnd.nextInt(4096);
                assertEquals(model.get(idx), t.get(idx));
            }
            assertEquals(model.size(), t.size());
        }
        for (int idx = 0; idx < 4096; idx++) {
            assertEquals(model.get(idx), t.get(idx));
        }
    }

    @Test
    void readersNeverMissStableEntriesWhileWritersChurn() throws Exception {
        // Stable indices are allocated first and never touched; the writer churns other indices through
        // allocate/replace/remove and many rebuilds. Absent indices are never handed out.
        SplittableRandom rnd = new SplittableRandom(99);
        Set<Integer> stableSet = new HashSet<>();
        int[] absent = new int[200];
        Set<Integer> absentSet = new HashSet<>();
        for (int i = 0; i < absent.length; i++) {
            int a;
            do {
                a = rnd.nextInt();
            } while (!absentSet.add(a));
            absent[i] = a;
        }
        SplittableRandom writerRnd = new SplittableRandom(100);
        IntSupplier source = () -> {
            int v;
            do {
                v = writerRnd.nextInt(1 << 16);
            } while (absentSet.contains(v));
            return v;
        };
        IndexTable<Integer> t = new IndexTable<>(source);
        int stableCount = 500;
        int[] stable = new int[stableCount];
        for (int i = 0; i < stableCount; i++) {
            stable[i] = t.allocate(i);
            stableSet.add(stable[i]);
        }

        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<String> failure = new AtomicReference<>();
        List<Thread> readers = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            Thread th = new Thread(() -> {
                while (!stop.get() && failure.get() == null) {
                    for (int i = 0; i < stableCount; i++) {
                        Integer v = t.get(stable[i]);
                        if (v == null || v != i) {
                            failure.compareAndSet(null, "stable index " + stable[i] + " read " + v);
                        }
                    }
                    for (int a : absent) {
                        if (t.get(a) != null) {
                            failure.compareAndSet(null, "absent index " + a + " found");
                        }
                    }
                }
            });
            th.start();
            readers.add(th);
        }
        try {
            List<Integer> churn = new ArrayList<>();
            for (int round = 0; round < 200 && failure.get() == null; round++) {
                int grow = 2000 + writerRnd.nextInt(4000);
                for (int i = 0; i < grow; i++) {
                    churn.add(t.allocate(-1 - i));
                }
                for (int i = 0; i < churn.size(); i += 3) {
                    assertTrue(t.replace(churn.get(i), 1_000_000 + i));
                }
                for (int idx : churn) {
                    assertTrue(t.remove(idx) != null);
                }
                churn.clear();
            }
        } finally {
            stop.set(true);
            for (Thread th : readers) {
                th.join();
            }
        }
        assertNull(failure.get(), failure.get());
        assertEquals(stableCount, t.size());
        for (int idx : stableSet) {
            assertTrue(t.contains(idx));
        }
    }

    @Test
    void getDoesNotAllocate() {
        SplittableRandom rnd = new SplittableRandom(5);
        IndexTable<Integer> t = new IndexTable<>(rnd::nextInt);
        int[] indices = new int[1000];
        for (int i = 0; i < indices.length; i++) {
            indices[i] = t.allocate(i);
        }
        long[] sum = new long[1];
        Runnable loop = () -> {
            for (int i = 0; i < 400_000; i++) {
                Integer v = t.get(indices[i % 1000] + (i & 1)); // every other lookup misses
                if (v != null) {
                    sum[0] += v;
                }
            }
        };
        for (int warm = 0; warm < 5; warm++) {
            loop.run();
        }
        long bytes = Allocations.allocatedBytes(loop);
        org.junit.jupiter.api.Assumptions.assumeTrue(bytes >= 0, "allocation counter not available");
        assertTrue(bytes < 64 * 1024, bytes + " bytes allocated by 400,000 gets");
        assertTrue(sum[0] > 0);
    }
}
