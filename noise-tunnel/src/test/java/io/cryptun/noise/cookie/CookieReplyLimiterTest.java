package io.cryptun.noise.cookie;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class CookieReplyLimiterTest {
    private static final long MS = 1_000_000L;

    private static InetSocketAddress at(String ip, int port) throws Exception {
        return new InetSocketAddress(InetAddress.getByName(ip), port);
    }

    private static int allowed(CookieReplyLimiter l, InetSocketAddress s, int tries, long now) {
        int n = 0;
        for (int i = 0; i < tries; i++) {
            if (l.allow(s, now)) {
                n++;
            }
        }
        return n;
    }

    @Test
    void aSourceGetsItsBurstThenOneReplyPer50Ms() throws Exception {
        CookieReplyLimiter l = new CookieReplyLimiter(1024, 7);
        InetSocketAddress s = at("198.18.0.1", 40000);
        assertEquals(CookieReplyLimiter.REPLIES_BURSTABLE, allowed(l, s, 1000, 0));
        assertEquals(0, allowed(l, s, 1000, 49 * MS));
        assertEquals(1, allowed(l, s, 1000, 50 * MS));
        // a second of quiet refills the burst, not more
        assertEquals(CookieReplyLimiter.REPLIES_BURSTABLE, allowed(l, s, 1000, 5000 * MS));
    }

    @Test
    void theSameAddressOnAnotherPortHasItsOwnBudget() throws Exception {
        CookieReplyLimiter l = new CookieReplyLimiter(1024, 7);
        allowed(l, at("198.18.0.1", 40000), 10_000, 0);
        assertTrue(l.allow(at("198.18.0.1", 51820), 0), "the peer's own port, same IP");
        assertTrue(l.allow(at("198.18.0.2", 40000), 0), "another IP, same port");
        assertFalse(l.allow(at("198.18.0.1", 40000), 0), "the flooding port is still spent");
    }

    @Test
    void anIpv4AddressAndItsMappedFormAreOneSource() throws Exception {
        CookieReplyLimiter l = new CookieReplyLimiter(1024, 7);
        allowed(l, at("198.18.0.1", 40000), 100, 0);
        assertFalse(l.allow(at("::ffff:198.18.0.1", 40000), 0));
    }

    @Test
    void ipv6SourcesAreKeyedByTheWholeAddress() throws Exception {
        CookieReplyLimiter l = new CookieReplyLimiter(1024, 7);
        allowed(l, at("fd00:a::1", 40000), 100, 0);
        assertTrue(l.allow(at("fd00:a::2", 40000), 0), "another host of the same /64");
        assertFalse(l.allow(at("fd00:a::1", 40000), 0));
    }

    @Test
    void aFullTableLetsNewSourcesThroughAndIdleOnesAreSweptOut() throws Exception {
        CookieReplyLimiter l = new CookieReplyLimiter(8, 7);
        for (int p = 1; p <= 8; p++) {
            allowed(l, at("198.18.0.9", p), 100, 0);
        }
        assertEquals(8, l.size());
        // full: a new source is not limited (replies as without the limiter), and is not tracked
        assertEquals(100, allowed(l, at("198.18.0.10", 1), 100, 0));
        assertEquals(8, l.size());
        // after a quiet second and a half the sweep frees the table
        assertTrue(l.allow(at("198.18.0.11", 1), 1500 * MS));
        assertEquals(1, l.size());
    }

    @Test
    void manySourcesEachKeepTheirOwnCount() throws Exception {
        CookieReplyLimiter l = new CookieReplyLimiter(1 << 16, 7);
        for (int p = 1; p <= 5000; p++) {
            assertEquals(CookieReplyLimiter.REPLIES_BURSTABLE, allowed(l, at("198.18.1." + (p % 200), p), 10, 0), "port " + p);
        }
        assertEquals(5000, l.size());
    }
}
