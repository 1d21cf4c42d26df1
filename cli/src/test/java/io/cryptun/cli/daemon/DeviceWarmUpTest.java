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
}
