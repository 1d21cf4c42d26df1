package io.cryptun.noise.allowedips;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.testkit.Allocations;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Hand-written cases: the scenarios of the kernel's {@code selftest/allowedips.c} and of
 * wireguard-go's {@code allowedips_test.go}, plus API edges.
 */
class AllowedIpsTest {
    private final AllowedIps<String> t = new AllowedIps<>();

    private static byte[] ip4(int a, int b, int c, int d) {
        return new byte[] {(byte) a, (byte) b, (byte) c, (byte) d};
    }

    /** An IPv6 address from four 32-bit words, as the kernel self-test writes them. */
    private static byte[] ip6(long a, long b, long c, long d) {
        byte[] out = new byte[16];
        long[] words = {a, b, c, d};
        for (int w = 0; w < 4; w++) {
            for (int i = 0; i < 4; i++) {
                out[w * 4 + i] = (byte) (words[w] >>> (24 - 8 * i));
            }
        }
        return out;
    }

    private void insert4(String owner, int a, int b, int c, int d, int cidr) {
        t.insert(IpPrefix.of(ip4(a, b, c, d), cidr), owner);
    }

    private void insert6(String owner, long a, long b, long c, long d, int cidr) {
        t.insert(IpPrefix.of(ip6(a, b, c, d), cidr), owner);
    }

    private boolean remove4(String owner, int a, int b, int c, int d, int cidr) {
        return t.remove(IpPrefix.of(ip4(a, b, c, d), cidr), owner);
    }

    private boolean remove6(String owner, long a, long b, long c, long d, int cidr) {
        return t.remove(IpPrefix.of(ip6(a, b, c, d), cidr), owner);
    }

    private void expect4(String owner, int a, int b, int c, int d) {
        assertEquals(owner, t.lookup(ip4(a, b, c, d)), a + "." + b + "." + c + "." + d);
    }

    private void expect6(String owner, long a, long b, long c, long d) {
        byte[] addr = ip6(a, b, c, d);
        assertEquals(owner, t.lookup(addr), IpPrefix.hostString(addr));
    }

    private void kernelTable() {
        insert4("a", 192, 168, 4, 0, 24);
        insert4("b", 192, 168, 4, 4, 32);
        insert4("c", 192, 168, 0, 0, 16);
        insert4("d", 192, 95, 5, 64, 27);
        insert4("c", 192, 95, 5, 65, 27); // same /27 (host bits masked): moves from d to c
        insert6("d", 0x26075300, 0x60006b00, 0, 0xc05f0543, 128);
        insert6("c", 0x26075300, 0x60006b00, 0, 0, 64);
        insert4("e", 0, 0, 0, 0, 0);
        insert6("e", 0, 0, 0, 0, 0);
        insert6("f", 0, 0, 0, 0, 0); // moves ::/0 from e to f
        insert6("g", 0x24046800, 0, 0, 0, 32);
        insert6("h", 0x24046800, 0x40040800, 0xdeadbeefL, 0xdeadbeefL, 64);
        insert6("a", 0x24046800, 0x40040800, 0xdeadbeefL, 0xdeadbeefL, 128);
        insert6("c", 0x24446800, 0x40e40800, 0xdeaebeefL, 0xdefbeef, 128);
        insert6("b", 0x24446800, 0xf0e40800L, 0xeeaebeefL, 0, 98);
        insert4("g", 64, 15, 112, 0, 20);
        insert4("h", 64, 15, 123, 211, 25);
        insert4("a", 10, 0, 0, 0, 25);
        insert4("b", 10, 0, 0, 128, 25);
        insert4("a", 10, 1, 0, 0, 30);
        insert4("b", 10, 1, 0, 4, 30);
        insert4("c", 10, 1, 0, 8, 29);
        insert4("d", 10, 1, 0, 16, 29);
    }

    @Test
    void kernelSelfTestLookups() {
        kernelTable();
        t.checkInvariants();
        assertEquals(21, t.size());
        expect4("a", 192, 168, 4, 20);
        expect4("a", 192, 168, 4, 0);
        expect4("b", 192, 168, 4, 4);
        expect4("c", 192, 168, 200, 182);
        expect4("c", 192, 95, 5, 68);
        expect4("e", 192, 95, 5, 96);
        expect6("d", 0x26075300, 0x60006b00, 0, 0xc05f0543);
        expect6("c", 0x26075300, 0x60006b00, 0, 0xc02e01ee);
        expect6("f", 0x26075300, 0x60006b01, 0, 0);
        expect6("g", 0x24046800, 0x40040806, 0, 0x1006);
        expect6("g", 0x24046800, 0x40040806, 0x1234, 0x5678);
        expect6("f", 0x240467ff, 0x40040806, 0x1234, 0x5678);
        expect6("f", 0x24046801, 0x40040806, 0x1234, 0x5678);
        expect6("h", 0x24046800, 0x40040800, 0x1234, 0x5678);
        expect6("h", 0x24046800, 0x40040800, 0, 0);
        expect6("h", 0x24046800, 0x40040800, 0x10101010, 0x10101010);
        expect6("a", 0x24046800, 0x40040800, 0xdeadbeefL, 0xdeadbeefL);
        expect4("g", 64, 15, 116, 26);
        expect4("g", 64, 15, 127, 3);
        expect4("g", 64, 15, 123, 1);
        expect4("h", 64, 15, 123, 128);
        expect4("h", 64, 15, 123, 129);
        expect4("a", 10, 0, 0, 52);
        expect4("b", 10, 0, 0, 220);
        expect4("a", 10, 1, 0, 2);
        expect4("b", 10, 1, 0, 6);
        expect4("c", 10, 1, 0, 10);
        expect4("d", 10, 1, 0, 20);
        // the moved prefixes are gone from their former owners
        assertFalse(t.prefixesOf("d").contains(IpPrefix.parse("192.95.5.64/27")));
        assertTrue(t.prefixesOf("c").contains(IpPrefix.parse("192.95.5.64/27")));
        assertEquals(List.of(IpPrefix.parse("0.0.0.0/0")), t.prefixesOf("e"));
        assertEquals("f", t.ownerOf(IpPrefix.parse("::/0")));
    }

    @Test
    void removeAllOfAnOwnerWithHostRoutesAcrossTheSpace() {
        kernelTable();
        for (int first : new int[] {1, 64, 128, 192, 255}) {
            insert4("a", first, 0, 0, 0, 32);
        }
        for (int first : new int[] {1, 64, 128, 192, 255}) {
            expect4("a", first, 0, 0, 0);
        }
        t.removeAll("a");
        t.checkInvariants();
        for (int first : new int[] {1, 64, 128, 192, 255}) {
            assertNotEquals("a", t.lookup(ip4(first, 0, 0, 0)));
        }
        expect4("c", 192, 168, 4, 20); // a's /24 is gone, c's /16 shows through
        expect6("h", 0x24046800, 0x40040800, 0xdeadbeefL, 0xdeadbeefL);
        assertEquals(List.of(), t.prefixesOf("a"));
        t.removeAll("a"); // idempotent
        for (String o : List.of("b", "c", "d", "e", "f", "g", "h")) {
            t.removeAll(o);
        }
        assertEquals(0, t.size());
        assertEquals(0, t.checkInvariants(), "no bare fork nodes left behind");
        assertTrue(t.entries().isEmpty());
    }

    @Test
    void removeAllOfNestedPrefixes() {
        insert4("a", 192, 168, 0, 0, 16);
        insert4("a", 192, 168, 0, 0, 24);
        t.removeAll("a");
        assertNull(t.lookup(ip4(192, 168, 0, 1)));
        assertEquals(0, t.checkInvariants());
    }

    @Test
    void deepIpv6TrieOfHostRoutes() {
        // 128 host routes each differing from all-ones in one bit: a trie as deep as IPv6 gets
        for (int i = 0; i < 128; i++) {
            byte[] addr = new byte[16];
            java.util.Arrays.fill(addr, (byte) 0xff);
            addr[i / 8] &= (byte) ~(0x80 >>> (i % 8));
            t.insert(IpPrefix.of(addr, 128), "a");
        }
        assertEquals(128, t.size());
        assertEquals(255, t.checkInvariants(), "128 leaves joined by 127 forks");
        for (int i = 0; i < 128; i++) {
            byte[] addr = new byte[16];
            java.util.Arrays.fill(addr, (byte) 0xff);
            addr[i / 8] &= (byte) ~(0x80 >>> (i % 8));
            assertEquals("a", t.lookup(addr));
            addr[15] ^= 1; // a second bit off (or, for i = 127, none): not in the table
            assertNull(t.lookup(addr));
        }
        byte[] allOnes = new byte[16];
        java.util.Arrays.fill(allOnes, (byte) 0xff);
        assertNull(t.lookup(allOnes));
        t.clear();
        assertEquals(0, t.size());
        assertNull(t.lookup(new byte[16]));
    }

    @Test
    void prefixesOfReadsBackMaskedPrefixesInInsertionOrder() {
        insert4("a", 192, 95, 5, 93, 27);
        insert6("a", 0x26075300, 0x60006b00, 0, 0xc05f0543, 128);
        insert4("a", 10, 1, 0, 20, 29);
        insert6("a", 0x26075300, 0x6d8a6bf8, 0xdab1f1df, 0xc05f1523, 83);
        insert6("a", 0x26075300, 0x6d8a6bf8, 0xdab1f1df, 0xc05f1523, 21);
        assertEquals(List.of(
                IpPrefix.parse("192.95.5.64/27"),
                IpPrefix.parse("2607:5300:6000:6b00::c05f:543/128"),
                IpPrefix.parse("10.1.0.16/29"),
                IpPrefix.parse("2607:5300:6d8a:6bf8:dab1:e000::/83"),
                IpPrefix.parse("2607:5000::/21")), t.prefixesOf("a"));
        // inserting a held prefix again moves it to the end, as the kernel's list_move_tail does
        insert4("a", 10, 1, 0, 16, 29);
        assertEquals(IpPrefix.parse("10.1.0.16/29"), t.prefixesOf("a").get(4));
        assertEquals(5, t.prefixesOf("a").size());
        assertEquals(5, t.size());
        // moving to another owner and back also lands at the end
        insert4("b", 192, 95, 5, 64, 27);
        assertEquals(List.of(IpPrefix.parse("192.95.5.64/27")), t.prefixesOf("b"));
        insert4("a", 192, 95, 5, 64, 27);
        assertEquals(IpPrefix.parse("192.95.5.64/27"), t.prefixesOf("a").get(4));
        assertEquals(List.of(), t.prefixesOf("b"));
        t.checkInvariants();
    }

    /** wireguard-go's removal scenarios (TestTrieIPv4 tail). */
    @Test
    void removeOnlyWhatTheOwnerHoldsIpv4() {
        insert4("a", 1, 0, 0, 0, 32);
        insert4("a", 192, 0, 0, 0, 24);
        expect4("a", 1, 0, 0, 0);
        expect4("a", 192, 0, 0, 1);
        assertFalse(remove4("a", 192, 0, 0, 0, 32), "prefix not held");
        expect4("a", 192, 0, 0, 1);
        assertFalse(remove4(null, 192, 0, 0, 0, 24));
        expect4("a", 192, 0, 0, 1);
        assertFalse(remove4("b", 192, 0, 0, 0, 24), "held by someone else");
        expect4("a", 192, 0, 0, 1);
        assertTrue(remove4("a", 192, 0, 0, 0, 24));
        assertNull(t.lookup(ip4(192, 0, 0, 1)));
        assertTrue(remove4("a", 1, 0, 0, 0, 32));
        assertNull(t.lookup(ip4(1, 0, 0, 0)));
        assertEquals(0, t.checkInvariants());
    }

    /** wireguard-go's removal scenarios (TestTrieIPv6 tail). */
    @Test
    void removeOnlyWhatTheOwnerHoldsIpv6() {
        kernelTable();
        insert6("a", 0x24446801, 0x40e40800, 0xdeaebeefL, 0xdefbeef, 128);
        insert6("a", 0x24446800, 0xf0e40800L, 0xeeaebeefL, 0, 98);
        expect6("a", 0x24446801, 0x40e40800, 0xdeaebeefL, 0xdefbeef);
        expect6("a", 0x24446800, 0xf0e40800L, 0xeeaebeefL, 0x10101010);
        assertFalse(remove6("a", 0x24446801, 0x40e40800, 0xdeaebeefL, 0xdefbeef, 96));
        expect6("a", 0x24446801, 0x40e40800, 0xdeaebeefL, 0xdefbeef);
        assertFalse(remove6(null, 0x24446801, 0x40e40800, 0xdeaebeefL, 0xdefbeef, 128));
        assertFalse(remove6("b", 0x24446801, 0x40e40800, 0xdeaebeefL, 0xdefbeef, 128));
        expect6("a", 0x24446801, 0x40e40800, 0xdeaebeefL, 0xdefbeef);
        assertTrue(remove6("a", 0x24446801, 0x40e40800, 0xdeaebeefL, 0xdefbeef, 128));
        expect6("f", 0x24446801, 0x40e40800, 0xdeaebeefL, 0xdefbeef);
        assertFalse(remove6("b", 0x24446800, 0xf0e40800L, 0xeeaebeefL, 0, 98), "moved to a");
        expect6("a", 0x24446800, 0xf0e40800L, 0xeeaebeefL, 0x10101010);
        assertTrue(remove6("a", 0x24446800, 0xf0e40800L, 0xeeaebeefL, 0, 98));
        expect6("f", 0x24446800, 0xf0e40800L, 0xeeaebeefL, 0x10101010);
        t.checkInvariants();
    }

    @Test
    void lookupInsideAPacketBuffer() {
        t.insert(IpPrefix.parse("10.7.0.0/16"), "v4");
        t.insert(IpPrefix.parse("fd00:1::/48"), "v6");
        byte[] packet = new byte[64];
        System.arraycopy(ip4(10, 7, 3, 9), 0, packet, 16, 4); // IPv4 destination field
        assertEquals("v4", t.lookup(packet, 16, 4));
        assertNull(t.lookup(packet, 15, 4));
        byte[] dst6 = IpPrefix.parseNumericAddress("fd00:1::42");
        System.arraycopy(dst6, 0, packet, 24, 16); // IPv6 destination field
        assertEquals("v6", t.lookup(packet, 24, 16));
        // an unaligned offset works too
        System.arraycopy(dst6, 0, packet, 41, 16);
        assertEquals("v6", t.lookup(packet, 41, 16));
        assertThrows(IllegalArgumentException.class, () -> t.lookup(packet, 0, 5));
        assertThrows(IllegalArgumentException.class, () -> t.lookup(new byte[0]));
        assertThrows(IndexOutOfBoundsException.class, () -> t.lookup(packet, 50, 16));
        assertThrows(IndexOutOfBoundsException.class, () -> t.lookup(packet, -1, 4));
    }

    @Test
    void familiesAreSeparate() {
        t.insert(IpPrefix.parse("0.0.0.0/0"), "v4-default");
        assertNull(t.lookup(new byte[16]), "an IPv4 default route does not catch IPv6");
        t.insert(IpPrefix.parse("::/0"), "v6-default");
        assertEquals("v4-default", t.lookup(new byte[4]));
        assertEquals("v6-default", t.lookup(new byte[16]));
        assertEquals("v6-default", t.lookup(IpPrefix.parseNumericAddress("::ffff:10.0.0.1")),
                "IPv4-mapped IPv6 addresses stay IPv6");
    }

    @Test
    void insertingAPrefixThatSplitsAPathAndOneThatCoversASubtree() {
        t.insert(IpPrefix.parse("10.0.0.0/24"), "x");
        t.insert(IpPrefix.parse("10.0.1.0/24"), "y"); // creates a bare fork at 10.0.0.0/23
        assertEquals(3, t.checkInvariants());
        t.insert(IpPrefix.parse("10.0.0.0/23"), "z"); // lands on the fork
        assertEquals(3, t.checkInvariants());
        assertEquals("z", t.ownerOf(IpPrefix.parse("10.0.0.0/23")));
        t.insert(IpPrefix.parse("10.0.0.0/8"), "w"); // above the whole subtree
        assertEquals(4, t.checkInvariants());
        assertEquals("w", t.lookup(ip4(10, 9, 9, 9)));
        assertEquals("x", t.lookup(ip4(10, 0, 0, 5)));
        assertEquals("y", t.lookup(ip4(10, 0, 1, 200)));
        assertTrue(t.remove(IpPrefix.parse("10.0.0.0/23"), "z"));
        assertEquals(4, t.checkInvariants(), "the /23 stays as a bare fork with two children");
        assertTrue(t.remove(IpPrefix.parse("10.0.0.0/24"), "x"));
        assertEquals(2, t.checkInvariants(), "the fork is pruned with its leaf");
        assertEquals("y", t.lookup(ip4(10, 0, 1, 200)));
        assertEquals("w", t.lookup(ip4(10, 0, 0, 200)));
        assertNull(t.ownerOf(IpPrefix.parse("10.0.0.0/23")));
    }

    @Test
    void entriesAreInPrefixOrder() {
        kernelTable();
        List<Map.Entry<IpPrefix, String>> entries = t.entries();
        assertEquals(t.size(), entries.size());
        List<IpPrefix> prefixes = new ArrayList<>();
        for (Map.Entry<IpPrefix, String> e : entries) {
            prefixes.add(e.getKey());
            assertEquals(e.getValue(), t.ownerOf(e.getKey()));
        }
        List<IpPrefix> sorted = new ArrayList<>(prefixes);
        sorted.sort(null);
        assertEquals(sorted, prefixes);
        List<String> seen = new ArrayList<>();
        t.forEach((p, o) -> seen.add(p + "=" + o));
        assertEquals("0.0.0.0/0=e", seen.get(0));
        assertEquals(entries.size(), seen.size());
    }

    @Test
    void ownersAreComparedWithEquals() {
        AllowedIps<String> s = new AllowedIps<>();
        String a1 = new String("peer");
        String a2 = new String("peer");
        s.insert(IpPrefix.parse("10.0.0.0/8"), a1);
        assertTrue(s.remove(IpPrefix.parse("10.0.0.0/8"), a2));
        s.insert(IpPrefix.parse("10.0.0.0/8"), a1);
        s.insert(IpPrefix.parse("10.0.0.0/8"), a2);
        assertSame(a2, s.lookup(ip4(10, 1, 1, 1)), "the latest owner object is returned");
        assertEquals(1, s.prefixesOf(a1).size());
        s.checkInvariants();
    }

    @Test
    void nullsAreRejected() {
        assertThrows(NullPointerException.class, () -> t.insert(IpPrefix.parse("10.0.0.0/8"), null));
        assertThrows(NullPointerException.class, () -> t.insert(null, "a"));
        assertThrows(NullPointerException.class, () -> t.lookup(null));
    }

    /** The hot path allocates nothing once compiled (a per-call allocation would show as megabytes). */
    @Test
    void lookupDoesNotAllocate() {
        kernelTable();
        byte[] packet = new byte[64];
        System.arraycopy(ip4(10, 1, 0, 20), 0, packet, 16, 4);
        System.arraycopy(ip6(0x24046800, 0x40040800, 0x1234, 0x5678), 0, packet, 24, 16);
        int[] hits = new int[1];
        Runnable loop = () -> {
            for (int i = 0; i < 200_000; i++) {
                packet[19] = (byte) i;
                if (t.lookup(packet, 16, 4) != null) {
                    hits[0]++;
                }
                if (t.lookup(packet, 24, 16) != null) {
                    hits[0]++;
                }
            }
        };
        for (int warm = 0; warm < 5; warm++) {
            loop.run();
        }
        long bytes = Allocations.allocatedBytes(loop);
        org.junit.jupiter.api.Assumptions.assumeTrue(bytes >= 0, "allocation counter not available");
        assertTrue(bytes < 64 * 1024, bytes + " bytes allocated by 400,000 lookups");
        assertTrue(hits[0] > 0);
    }
}
