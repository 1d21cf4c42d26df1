package io.cryptun.noise.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * An initiation from a key that is not (yet) a peer is dropped as before, and the key is
 * remembered for a little while, so that whoever adds that peer can start a handshake at once.
 */
class UnknownInitiatorsTest {
    @Test
    void anInitiatorThatIsNotAPeerYetIsRememberedOnceAndBriefly() {
        TestNet net = new TestNet(11);
        TestNet.Node a = net.node("a", "198.18.0.1", 51820);
        TestNet.Node b = net.node("b", "198.18.0.2", 51821);
        // a knows b, b does not know a yet (a's record has not reached b)
        Peer toB = a.device.addPeer(b.publicKey);
        toB.setEndpoint(b.address);
        a.device.allowedIps().insert(io.cryptun.noise.allowedips.IpPrefix.parse("10.0.0.2/32"), toB);
        a.sendIp(SamplePackets.udp4("10.0.0.1", "10.0.0.2", 10));
        net.pump();
        assertEquals(0, b.device.peerCount());
        assertTrue(b.device.stats().dropsByReason().getOrDefault(DropReason.INVALID_HANDSHAKE, 0L) >= 1,
                "dropped as an unknown initiator, as before");
        assertTrue(b.device.initiatedBeforeItWasAPeer(a.publicKey));
        assertFalse(b.device.initiatedBeforeItWasAPeer(a.publicKey), "once");
        assertFalse(b.device.initiatedBeforeItWasAPeer(new byte[32]), "nobody else");

        a.device.removePeer(toB);
        toB = a.device.addPeer(b.publicKey);
        toB.setEndpoint(b.address);
        a.device.allowedIps().insert(io.cryptun.noise.allowedips.IpPrefix.parse("10.0.0.2/32"), toB);
        a.sendIp(SamplePackets.udp4("10.0.0.1", "10.0.0.2", 10));
        net.pump();
        net.clock.advance(UnknownInitiators.REMEMBER_NANOS + 1);
        assertFalse(b.device.initiatedBeforeItWasAPeer(a.publicKey), "forgotten after a while");
    }

    @Test
    void theMemoryIsBounded() {
        UnknownInitiators u = new UnknownInitiators();
        for (int i = 0; i < 1000; i++) {
            byte[] k = new byte[32];
            k[0] = (byte) i;
            k[1] = (byte) (i >> 8);
            u.note(k, 0);
        }
        byte[] first = new byte[32];
        assertFalse(u.take(first, 0), "the oldest went when the capacity was reached");
        byte[] last = new byte[32];
        last[0] = (byte) 999;
        last[1] = (byte) (999 >> 8);
        assertTrue(u.take(last, 0));
    }
}
