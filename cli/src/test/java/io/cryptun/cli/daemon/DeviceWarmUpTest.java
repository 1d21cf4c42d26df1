package io.cryptun.cli.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class DeviceWarmUpTest {
    @Test
    void everyRoundIsAFullHandshakeAndEveryPacketArrives() {
        for (String backend : new String[] {"jdk", "bc"}) {
            DeviceWarmUp.Result r = DeviceWarmUp.run(5, 4, backend);
            // one new session per round on each side: the clock jump expired the last one
            assertEquals(5, r.sessions(), backend);
            // 4 packets each way per round, none lost to staging or key confirmation
            assertEquals(5 * 4 * 2, r.packetsDelivered(), backend);
            // and the flood's kinds of junk, each dropped (7 a round), none taken for a packet
            assertEquals(5 * 7, r.junkDropped(), backend);
        }
    }

    /**
     * Every fourth round the sides meet again as new peers (a session per round all the same), the
     * second time without IPv6 prefixes: that round's IPv6 packet each way finds no peer and is
     * dropped, as a daemon with IPv4-only allowed IPs drops the kernel's IPv6 packets.
     */
    @Test
    void newPeersAndIpv4OnlyPeersAreWarmedToo() {
        DeviceWarmUp.Result r = DeviceWarmUp.run(8, 4, "jdk");
        assertEquals(8, r.sessions());
        // round 8 (r = 7) has no IPv6 prefixes: its one IPv6 packet each way (i = 2) is not delivered
        assertEquals(8 * 4 * 2 - 2, r.packetsDelivered());
        // B's drops: 7 junk datagrams a round, and its own IPv6 packet in round 8 (no route)
        assertEquals(8 * 7 + 1, r.junkDropped());
    }
}
