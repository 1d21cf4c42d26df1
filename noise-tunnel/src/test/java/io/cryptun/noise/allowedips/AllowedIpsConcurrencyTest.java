package io.cryptun.noise.allowedips;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Readers look up addresses whose answer never changes while a writer inserts, moves and removes
 * other prefixes all around them (splitting and pruning the very paths the readers walk). A reader
 * must never see a wrong owner.
 */
class AllowedIpsConcurrencyTest {
    private static final int STABLE_LEN4 = 24;
    private static final int STABLE_LEN6 = 64;

    private record Probe(byte[] packet, int offset, int length, String owner) {
    }

    @Test
    void readersSeeStableAnswersWhileWriterMutates() throws Exception {
        SplittableRandom rnd = new SplittableRandom(4242);
        AllowedIps<String> table = new AllowedIps<>();

        // Stable prefixes: disjoint /24s inside 10.0.0.0/8 and /64s inside 2001:db8::/32.
        Set<IpPrefix> stable = new HashSet<>();
        List<Probe> probes = new ArrayList<>();
        while (stable.size() < 400) {
            boolean v6 = stable.size() % 2 == 1;
            byte[] base = v6 ? new byte[16] : new byte[] {10, 0, 0, 0};
            if (v6) {
                base[0] = 0x20;
                base[1] = 0x01;
                base[2] = 0x0d;
                base[3] = (byte) 0xb8;
            }
            byte[] addr = AllowedIpsRandomizedTest.mutate(rnd, base, v6 ? 32 : 8);
            IpPrefix p = IpPrefix.of(addr, v6 ? STABLE_LEN6 : STABLE_LEN4);
            if (!stable.add(p)) {
                continue;
            }
            String owner = "stable" + rnd.nextInt(20);
            table.insert(p, owner);
            for (int k = 0; k < 4; k++) {
                byte[] inside = AllowedIpsRandomizedTest.mutate(rnd, p.address(), p.length());
                // the address sits inside a packet-sized buffer, as on the hot path
                byte[] packet = new byte[64];
                int off = v6 ? 24 : 16;
                System.arraycopy(inside, 0, packet, off, inside.length);
                probes.add(new Probe(packet, off, inside.length, owner));
            }
        }
        // Addresses no prefix will ever cover: 198.18.0.0/15 is kept out of the churn below.
        List<byte[]> uncovered = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            uncovered.add(AllowedIpsRandomizedTest.mutate(rnd, new byte[] {(byte) 198, 18, 0, 0}, 15));
        }

        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<String> failure = new AtomicReference<>();
        AtomicLong lookups = new AtomicLong();
        List<Thread> readers = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            Thread th = new Thread(() -> {
                long n = 0;
                while (!stop.get() && failure.get() == null) {
                    for (Probe p : probes) {
                        String got = table.lookup(p.packet, p.offset, p.length);
                        if (!p.owner.equals(got)) {
                            failure.compareAndSet(null, "expected " + p.owner + " got " + got);
                        }
                    }
                    for (byte[] u : uncovered) {
                        String got = table.lookup(u);
                        if (got != null) {
                            failure.compareAndSet(null, "uncovered address resolved to " + got);
                        }
                    }
                    n += probes.size() + uncovered.size();
                }
                lookups.addAndGet(n);
            }, "allowedips-reader-" + r);
            th.setDaemon(true);
            th.start();
            readers.add(th);
        }

        try {
            List<IpPrefix> churn = new ArrayList<>();
            for (int op = 0; op < 300_000 && failure.get() == null; op++) {
                int kind = rnd.nextInt(10);
                if (kind < 5 || churn.isEmpty()) {
                    IpPrefix p = churnPrefix(rnd, stable);
                    table.insert(p, "churn" + rnd.nextInt(8));
                    churn.add(p);
                } else if (kind < 8) {
                    IpPrefix p = churn.remove(rnd.nextInt(churn.size()));
                    String holder = table.ownerOf(p);
                    if (holder != null) {
                        assertTrue(table.remove(p, holder));
                    }
                } else if (kind < 9) {
                    table.insert(churn.get(rnd.nextInt(churn.size())), "churn" + rnd.nextInt(8)); // move
                } else if (rnd.nextInt(50) == 0) {
                    table.removeAll("churn" + rnd.nextInt(8));
                }
                if (churn.size() > 5000) {
                    churn.subList(0, 2500).clear();
                }
            }
        } finally {
            stop.set(true);
            for (Thread th : readers) {
                th.join(10_000);
            }
        }
        assertNull(failure.get(), failure.get());
        assertTrue(lookups.get() > 0);
        table.checkInvariants();
        for (Probe p : probes) {
            assertEquals(p.owner, table.lookup(p.packet, p.offset, p.length));
        }
    }

    /**
     * A prefix that cannot change the answer for a probe: either shorter than the stable prefixes (so
     * it loses to them), or longer but outside every stable prefix, and never inside 198.18.0.0/15.
     * Most land inside 10.0.0.0/8 or 2001:db8::/32 to fork the readers' paths.
     */
    private static IpPrefix churnPrefix(SplittableRandom rnd, Set<IpPrefix> stable) {
        while (true) {
            boolean v6 = rnd.nextBoolean();
            int bits = v6 ? 128 : 32;
            int stableLen = v6 ? STABLE_LEN6 : STABLE_LEN4;
            byte[] addr;
            if (rnd.nextInt(4) == 0) {
                addr = AllowedIpsRandomizedTest.randomAddress(rnd, bits / 8);
            } else {
                byte[] base = v6 ? new byte[] {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
                        : new byte[] {10, 0, 0, 0};
                addr = AllowedIpsRandomizedTest.mutate(rnd, base, v6 ? 32 : 8);
            }
            int len = rnd.nextInt(bits + 1);
            IpPrefix p = IpPrefix.of(addr, len);
            if (len >= stableLen && stable.contains(IpPrefix.of(addr, stableLen))) {
                continue;
            }
            if (!v6 && len >= 15 && IpPrefix.parse("198.18.0.0/15").contains(addr)) {
                continue;
            }
            if (!v6 && len < 15 && p.contains(new byte[] {(byte) 198, 18, 0, 0})) {
                continue;
            }
            return p;
        }
    }
}
