package io.cryptun.noise.cookie;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.noise.allowedips.IpPrefix;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Driven by a fake clock: every time is an explicit nanosecond reading. */
class RateLimiterTest {
    private static final long MS = 1_000_000L;
    /** An arbitrary clock origin, far from zero, to show only differences matter. */
    private static final long T0 = 987_654_321_000L;

    private final RateLimiter limiter = new RateLimiter(RateLimiter.DEFAULT_MAX_ENTRIES, 12345);

    private static byte[] ip(String text) {
        return IpPrefix.parseNumericAddress(text);
    }

    @Test
    void constantsMatchKernelAndWireguardGo() {
        assertEquals(20, RateLimiter.PACKETS_PER_SECOND);
        assertEquals(5, RateLimiter.PACKETS_BURSTABLE);
        assertEquals(50 * MS, RateLimiter.PACKET_COST_NANOS);
        assertEquals(250 * MS, RateLimiter.TOKEN_MAX_NANOS);
    }

    @Test
    void burstOfFiveThenRefused() {
        byte[] a = ip("192.0.2.1");
        for (int i = 0; i < 5; i++) {
            assertTrue(limiter.allow(a, T0), "packet " + i + " of the burst");
        }
        assertFalse(limiter.allow(a, T0));
        assertFalse(limiter.allow(a, T0 + 10 * MS));
    }

    @Test
    void refillsAtTwentyPerSecond() {
        byte[] a = ip("192.0.2.1");
        for (int i = 0; i < 5; i++) {
            limiter.allow(a, T0);
        }
        assertFalse(limiter.allow(a, T0 + 50 * MS - 1), "one nanosecond short of a token");
        assertTrue(limiter.allow(a, T0 + 50 * MS));
        assertFalse(limiter.allow(a, T0 + 50 * MS));
        // steady 20/s: one every 50 ms passes, a second one in between does not
        long t = T0 + 50 * MS;
        for (int i = 0; i < 40; i++) {
            t += 50 * MS;
            assertTrue(limiter.allow(a, t), "tick " + i);
            assertFalse(limiter.allow(a, t + 25 * MS), "between ticks " + i);
        }
        // a long pause refills only up to the burst
        t += 10_000 * MS;
        for (int i = 0; i < 5; i++) {
            assertTrue(limiter.allow(a, t));
        }
        assertFalse(limiter.allow(a, t));
    }

    /**
     * The kernel self-test's table ({@code selftest/ratelimiter.c}, also wireguard-go's test): each step
     * sleeps, then one packet from the tested source must get the expected answer. Alongside, a fresh
     * IPv4 source is always allowed, an IPv6 source in the same /64 (other interface id) shares the
     * bucket, and one in another /64 is always allowed.
     */
    @Test
    void kernelTimingTable() {
        boolean[] expected = {true, true, true, true, true, false, true, false, true, true, false};
        long[] sleepMs = {0, 0, 0, 0, 0, 0, 50, 0, 100, 0, 0};
        long v4 = 8182;
        long now = T0;
        for (int i = 0; i < expected.length; i++) {
            now += sleepMs[i] * MS;
            assertEquals(expected[i], limiter.allow(v4Addr(v4), now), "IPv4 step " + i);
            assertTrue(limiter.allow(v4Addr(v4 + i + 1), now), "fresh IPv4 source at step " + i);

            byte[] v6 = v6Addr(1212, 289188, i, i);
            assertEquals(expected[i], limiter.allow(v6, now), "IPv6 step " + i + " (same /64)");
            assertTrue(limiter.allow(v6Addr(1212 + i + 1, 289188, i, i), now), "other /64 at step " + i);
        }
    }

    /** wireguard-go's variant: many sources, each following the table independently. */
    @Test
    void manySourcesFollowTheTableIndependently() {
        String[] sources = {"127.0.0.1", "192.168.1.1", "172.167.2.3", "97.231.252.215", "248.97.91.167",
                "188.208.233.47", "104.2.183.179", "72.129.46.120", "2001:0db8:0a0b:12f0:0000:0000:0000:0001",
                "f5c2:818f:c052:655a:9860:b136:6894:25f0", "b2d7:15ab:48a7:b07c:a541:f144:a9fe:54fc",
                "a47b:786e:1671:a22b:d6f9:4ab0:abc7:c918", "ea1e:d155:7f7a:98fb:2bf5:9483:80f6:5445",
                "3f0e:54a2:f5b4:cd19:a21d:58e1:3746:84c4"};
        boolean[] expected = {true, true, true, true, true, false, true, false, true, true, false};
        long[] sleepMs = {0, 0, 0, 0, 0, 0, 50, 0, 100, 0, 0};
        long now = T0;
        for (int step = 0; step < expected.length; step++) {
            now += sleepMs[step] * MS;
            for (String s : sources) {
                assertEquals(expected[step], limiter.allow(ip(s), now), s + " at step " + step);
            }
        }
    }

    @Test
    void ipv6IsLimitedPerSlash64() {
        for (int i = 0; i < 5; i++) {
            assertTrue(limiter.allow(ip("2001:db8:0:1::" + (i + 1)), T0));
        }
        assertFalse(limiter.allow(ip("2001:db8:0:1:ffff:ffff:ffff:ffff"), T0), "same /64, bucket empty");
        assertTrue(limiter.allow(ip("2001:db8:0:2::1"), T0), "neighbouring /64");
        assertEquals(2, limiter.size());
    }

    @Test
    void familiesDoNotShareBuckets() {
        // 1.2.3.4 and ::102:304:0:0:0:0 have the same 64-bit key value; they must stay apart
        byte[] v4 = ip("1.2.3.4");
        byte[] v6 = ip("0:0:102:304::");
        for (int i = 0; i < 5; i++) {
            assertTrue(limiter.allow(v4, T0));
        }
        assertFalse(limiter.allow(v4, T0));
        assertTrue(limiter.allow(v6, T0));
    }

    @Test
    void sourceInsideAPacketBuffer() {
        byte[] packet = new byte[40];
        System.arraycopy(ip("198.51.100.7"), 0, packet, 12, 4); // IPv4 source field
        for (int i = 0; i < 5; i++) {
            assertTrue(limiter.allow(packet, 12, 4, T0));
        }
        assertFalse(limiter.allow(ip("198.51.100.7"), T0), "same bucket as the buffer form");
        assertThrows(IllegalArgumentException.class, () -> limiter.allow(new byte[5], T0));
        assertThrows(IndexOutOfBoundsException.class, () -> limiter.allow(packet, 30, 16, T0));
        assertThrows(NullPointerException.class, () -> limiter.allow(null, T0));
    }

    @Test
    void idleEntriesAreCollected() {
        for (int i = 0; i < 1000; i++) {
            assertTrue(limiter.allow(v4Addr(i), T0)); // the first call also starts the sweep interval
        }
        assertEquals(1000, limiter.size());
        limiter.allow(v4Addr(0), T0 + 400 * MS);
        limiter.allow(v4Addr(0), T0 + 1000 * MS); // a sweep is due, but nobody is idle for MORE than 1 s
        assertEquals(1000, limiter.size());
        limiter.allow(v4Addr(0), T0 + 1500 * MS); // no sweep due: entries idle 1.5 s linger
        assertEquals(1000, limiter.size());
        limiter.allow(v4Addr(5000), T0 + 2000 * MS); // sweep: only source 0 and the newcomer remain
        assertEquals(2, limiter.size());
        limiter.allow(v4Addr(5000), T0 + 2500 * MS);
        limiter.allow(v4Addr(0), T0 + 2600 * MS);
        limiter.allow(v4Addr(0), T0 + 3000 * MS); // sweep: both active within the last second
        assertEquals(2, limiter.size());
        limiter.allow(v4Addr(7), T0 + 4100 * MS); // sweep: both silent for over a second
        assertEquals(1, limiter.size());
    }

    @Test
    void forgottenSourceStartsWithAFullBucket() {
        byte[] a = ip("203.0.113.9");
        for (int i = 0; i < 6; i++) {
            limiter.allow(a, T0);
        }
        long later = T0 + 3000 * MS;
        limiter.allow(ip("203.0.113.10"), later); // triggers the sweep that drops a
        assertEquals(1, limiter.size());
        for (int i = 0; i < 5; i++) {
            assertTrue(limiter.allow(a, later));
        }
        assertFalse(limiter.allow(a, later));
    }

    /** The kernel's capacity test: a full table refuses new sources; sweeping frees it again. */
    @Test
    void fullTableRefusesNewSourcesUntilIdleOnesAreSwept() {
        RateLimiter small = new RateLimiter(64, 1);
        for (int i = 0; i <= 64; i++) {
            assertEquals(i != 64, small.allow(v4Addr(i), T0), "source " + i);
        }
        assertEquals(64, small.size());
        assertTrue(small.allow(v4Addr(3), T0), "known sources keep their buckets");
        assertFalse(small.allow(v4Addr(100), T0 + 900 * MS));
        assertTrue(small.allow(v4Addr(100), T0 + 1100 * MS + 1),
                "the sweep due at 1.1 s drops the 64 sources idle since 0 s");
        assertEquals(1, small.size());
    }

    @Test
    void growsToTheBoundWithManySources() {
        RateLimiter r = new RateLimiter(100_000, 99);
        for (int i = 0; i < 100_000; i++) {
            assertTrue(r.allow(v4Addr(0x0a000000L + i), T0));
        }
        assertFalse(r.allow(v4Addr(0x0b000000L), T0));
        for (int i = 0; i < 100_000; i += 7) {
            for (int k = 0; k < 4; k++) {
                assertTrue(r.allow(v4Addr(0x0a000000L + i), T0));
            }
            assertFalse(r.allow(v4Addr(0x0a000000L + i), T0), "bucket of source " + i);
        }
        assertEquals(100_000, r.size());
    }

    @Test
    void clockGoingBackwardsGivesNoTokens() {
        byte[] a = ip("192.0.2.77");
        for (int i = 0; i < 5; i++) {
            assertTrue(limiter.allow(a, T0));
        }
        assertFalse(limiter.allow(a, T0 - 5000 * MS));
        assertFalse(limiter.allow(a, T0 + 49 * MS), "no credit for the backwards jump");
        assertTrue(limiter.allow(a, T0 + 50 * MS));
    }

    @Test
    void concurrentCallersShareOneBucketExactly() throws Exception {
        int threads = 4;
        int perThread = 2000;
        AtomicInteger allowedSame = new AtomicInteger();
        AtomicInteger allowedOwn = new AtomicInteger();
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Thread> ts = new ArrayList<>();
        List<Throwable> errors = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                try {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        if (limiter.allow(ip("192.0.2.200"), T0)) {
                            allowedSame.incrementAndGet();
                        }
                        if (limiter.allow(v4Addr(0x0a000000L + id * 100_000L + i), T0)) {
                            allowedOwn.incrementAndGet();
                        }
                    }
                } catch (Throwable e) {
                    synchronized (errors) {
                        errors.add(e);
                    }
                }
            });
            th.start();
            ts.add(th);
        }
        for (Thread th : ts) {
            th.join();
        }
        assertTrue(errors.isEmpty(), errors.toString());
        assertEquals(5, allowedSame.get(), "one shared bucket: exactly the burst, whatever the interleaving");
        assertEquals(threads * perThread, allowedOwn.get(), "every fresh source gets its first packet");
        assertEquals(threads * perThread + 1, limiter.size());
    }

    private static byte[] v4Addr(long value) {
        return new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value};
    }

    private static byte[] v6Addr(long a, long b, long c, long d) {
        byte[] out = new byte[16];
        long[] w = {a, b, c, d};
        for (int i = 0; i < 16; i++) {
            out[i] = (byte) (w[i / 4] >>> (24 - 8 * (i % 4)));
        }
        return out;
    }
}
