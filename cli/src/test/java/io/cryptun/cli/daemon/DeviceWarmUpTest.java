package io.cryptun.cli.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class DeviceWarmUpTest {
    @Test
    void everyRoundIsAFullHandshakeAndEveryPacketArrives() {
        for (String backend : new String[] {"jdk", "bc"}) {
            DeviceWarmUp.Result r = DeviceWarmUp.run(5, 4, backend);
            // one new session per round on each side: the clock jump expired the last one, or (every
            // other round) the peer was removed and added again
            assertEquals(5, r.sessions(), backend);
            // 4 packets each way per round, then 3 one way (70 in round 0, the replay window's counters
            // past 64; in reverse order) and 3 the other, none lost to staging, key confirmation or the
            // replay window
            assertEquals(5 * (4 * 2 + 3 * 2) + (70 - 3), r.packetsDelivered(), backend);
            // and the flood's kinds of junk, each dropped (7 a round), none taken for a packet
            assertEquals(5 * 7, r.junkDropped(), backend);
        }
    }
}
