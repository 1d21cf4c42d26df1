package io.cryptun.noise.allowedips;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The trie against a slow reference (a map of prefixes, longest match by trying every length), in the
 * spirit of the kernel's {@code DEBUG_RANDOM_TRIE} test and wireguard-go's
 * {@code allowedips_rand_test.go}: random routes plus many "mutated" routes sharing a random number of
 * leading bits with them, so the trie gets deep and forks everywhere.
 */
class AllowedIpsRandomizedTest {

    /** Slow but obviously right: ownership map plus per-owner insertion order. */
    static final class Reference {
        final Map<IpPrefix, Integer> owner = new HashMap<>();
        final Map<Integer, LinkedHashSet<IpPrefix>> byOwner = new HashMap<>();

        void insert(IpPrefix p, int o) {
            Integer old = owner.put(p, o);
            if (old != null) {
                byOwner.get(old).remove(p);
            }
            byOwner.computeIfAbsent(o, k -> new LinkedHashSet<>()).add(p);
        }

        boolean remove(IpPrefix p, int o) {
            Integer old = owner.get(p);
            if (old == null || old != o) {
                return false;
            }
            owner.remove(p);
            byOwner.get(o).remove(p);
            return true;
        }

        void removeAll(int o) {
            LinkedHashSet<IpPrefix> set = byOwner.remove(o);
            if (set != null) {
                for (IpPrefix p : set) {
                    owner.remove(p);
                }
            }
        }

        List<IpPrefix> prefixesOf(int o) {
            LinkedHashSet<IpPrefix> set = byOwner.get(o);
            return set == null ? List.of() : new ArrayList<>(set);
        }

        Integer lookup(byte[] addr) {
            for (int len = addr.length * 8; len >= 0; len--) {
                Integer o = owner.get(IpPrefix.of(addr, len));
                if (o != null) {
                    return o;
                }
            }
            return null;
        }
    }

    static byte[] randomAddress(SplittableRandom rnd, int bytes) {
        byte[] b = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            b[i] = (byte) rnd.nextInt(256);
        }
        return b;
    }

    /** Keeps the first {@code keep} bits of {@code base} and randomizes the rest. */
    static byte[] mutate(SplittableRandom rnd, byte[] base, int keep) {
        byte[] out = randomAddress(rnd, base.length);
        for (int bit = 0; bit < keep; bit++) {
            int mask = 0x80 >>> (bit & 7);
            out[bit >>> 3] = (byte) ((out[bit >>> 3] & ~mask) | (base[bit >>> 3] & mask));
        }
        return out;
    }

    private static void compareLookups(SplittableRandom rnd, AllowedIps<Integer> trie, Reference ref,
                                       List<IpPrefix> known, int queries) {
        for (int q = 0; q < queries; q++) {
            byte[] addr;
            if (q % 3 == 0 || known.isEmpty()) {
                addr = randomAddress(rnd, rnd.nextBoolean() ? 4 : 16);
            } else {
                IpPrefix p = known.get(rnd.nextInt(known.size()));
                byte[] base = p.address();
                // inside the prefix, or just outside it, or sharing a random amount of it
                int keep = switch (rnd.nextInt(3)) {
                    case 0 -> p.length();
                    case 1 -> Math.max(0, p.length() - 1);
                    default -> rnd.nextInt(base.length * 8 + 1);
                };
                addr = mutate(rnd, base, keep);
            }
            assertEquals(ref.lookup(addr), trie.lookup(addr), () -> "lookup of " + IpPrefix.hostString(addr));
        }
    }

    @Test
    void insertsMovesRemovesAgainstReference() {
        SplittableRandom rnd = new SplittableRandom(2015);
        AllowedIps<Integer> trie = new AllowedIps<>();
        Reference ref = new Reference();
        List<IpPrefix> known = new ArrayList<>();
        int owners = 40;
        for (int round = 0; round < 12; round++) {
            for (int r = 0; r < 25; r++) {
                boolean v6 = rnd.nextBoolean();
                int bits = v6 ? 128 : 32;
                byte[] base = randomAddress(rnd, v6 ? 16 : 4);
                for (int m = 0; m < 40; m++) {
                    byte[] addr = m == 0 ? base : mutate(rnd, base, rnd.nextInt(bits + 1));
                    IpPrefix p = IpPrefix.of(addr, rnd.nextInt(bits + 1));
                    int o = rnd.nextInt(owners);
                    trie.insert(p, o);
                    ref.insert(p, o);
                    known.add(p);
                }
            }
            // moves: re-insert known prefixes (held or since removed) under other owners
            for (int i = 0; i < 200; i++) {
                IpPrefix p = known.get(rnd.nextInt(known.size()));
                int o = rnd.nextInt(owners);
                trie.insert(p, o);
                ref.insert(p, o);
            }
            // single removals, half of them by the right owner
            for (int i = 0; i < 300; i++) {
                IpPrefix p = known.get(rnd.nextInt(known.size()));
                Integer holder = ref.owner.get(p);
                int o = holder != null && rnd.nextBoolean() ? holder : rnd.nextInt(owners);
                assertEquals(ref.remove(p, o), trie.remove(p, o), "remove " + p + " by " + o);
            }
            if (round % 3 == 2) {
                int o = rnd.nextInt(owners);
                trie.removeAll(o);
                ref.removeAll(o);
            }
            trie.checkInvariants();
            assertEquals(ref.owner.size(), trie.size());
            for (int o = 0; o < owners; o++) {
                assertEquals(ref.prefixesOf(o), trie.prefixesOf(o), "prefixesOf " + o);
            }
            compareLookups(rnd, trie, ref, known, 6000);
            for (IpPrefix p : known) {
                assertEquals(ref.owner.get(p), trie.ownerOf(p));
            }
        }
        // removing every owner, one at a time, checking as the kernel test does
        for (int o = 0; o < owners; o++) {
            trie.removeAll(o);
            ref.removeAll(o);
            if (o % 8 == 0) {
                compareLookups(rnd, trie, ref, known, 2000);
                trie.checkInvariants();
            }
        }
        assertEquals(0, trie.size());
        assertEquals(0, trie.checkInvariants(), "empty trie has no nodes left");
    }

    @Test
    void entriesMatchTheReference() {
        SplittableRandom rnd = new SplittableRandom(7);
        AllowedIps<Integer> trie = new AllowedIps<>();
        Reference ref = new Reference();
        for (int i = 0; i < 3000; i++) {
            boolean v6 = rnd.nextBoolean();
            IpPrefix p = IpPrefix.of(randomAddress(rnd, v6 ? 16 : 4), rnd.nextInt(v6 ? 129 : 33));
            int o = rnd.nextInt(10);
            trie.insert(p, o);
            ref.insert(p, o);
        }
        Map<IpPrefix, Integer> fromEntries = new HashMap<>();
        trie.forEach((p, o) -> assertNull(fromEntries.put(p, o), "duplicate " + p));
        assertEquals(ref.owner, fromEntries);
    }

    /**
     * 10,000 prefixes per family under many owners and 130,000 host routes under a single owner (a
     * large mesh node's table); lookups stay right and removeAll clears the big owner completely.
     */
    @Test
    void largeTables() {
        SplittableRandom rnd = new SplittableRandom(130_000);
        AllowedIps<Integer> trie = new AllowedIps<>();
        Reference ref = new Reference();
        List<IpPrefix> known = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            IpPrefix p4 = IpPrefix.of(randomAddress(rnd, 4), 8 + rnd.nextInt(25));
            IpPrefix p6 = IpPrefix.of(randomAddress(rnd, 16), 16 + rnd.nextInt(113));
            int o = 1 + rnd.nextInt(1000);
            trie.insert(p4, o);
            ref.insert(p4, o);
            trie.insert(p6, o);
            ref.insert(p6, o);
            known.add(p4);
            known.add(p6);
        }
        int big = 0;
        List<IpPrefix> bigPrefixes = new ArrayList<>();
        byte[] fd00 = new byte[16];
        fd00[0] = (byte) 0xfd;
        for (int i = 0; i < 130_000; i++) {
            // host routes inside 100.64.0.0/10 and fd00::/16, as a mesh would announce
            byte[] a4 = {100, (byte) (64 + (i >>> 16 & 0x3f)), (byte) (i >>> 8), (byte) i};
            IpPrefix p = i % 2 == 0 ? IpPrefix.of(a4, 32) : IpPrefix.of(mutate(rnd, fd00, 16), 128);
            trie.insert(p, big);
            ref.insert(p, big);
            bigPrefixes.add(p);
        }
        assertEquals(ref.owner.size(), trie.size());
        trie.checkInvariants();
        List<IpPrefix> held = trie.prefixesOf(big);
        assertEquals(ref.prefixesOf(big), held);
        assertTrue(held.size() > 129_000, "few moves expected, got " + held.size());
        List<IpPrefix> all = new ArrayList<>(known);
        all.addAll(bigPrefixes);
        compareLookups(rnd, trie, ref, all, 30_000);

        trie.removeAll(big);
        ref.removeAll(big);
        assertEquals(ref.owner.size(), trie.size());
        assertEquals(List.of(), trie.prefixesOf(big));
        compareLookups(rnd, trie, ref, all, 10_000);
        trie.checkInvariants();
    }
}
