package io.cryptun.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.noise.device.SamplePackets;
import io.cryptun.noise.session.Keypair;
import io.cryptun.noise.wire.InitiationMessage;
import io.cryptun.noise.wire.MessageType;
import io.cryptun.noise.wire.ResponseMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The in-memory harness the benchmarks time: it must run the real protocol, packet for packet. */
class BenchPairTest {

    @ParameterizedTest
    @CsvSource({"jdk,64", "jdk,1420", "bc,64", "bc,1420"})
    void packetsCrossTheTunnelUnchanged(String backend, int size) {
        BenchPair pair = new BenchPair(backend);
        pair.establishSession();
        pair.pump();
        byte[] packet = SamplePackets.udp4(BenchPair.TUNNEL_A, BenchPair.TUNNEL_B, size - SamplePackets.UDP4_HEADERS);
        for (int i = 0; i < 100; i++) {
            byte[] buf = BenchPair.tunBuffer(packet);
            pair.sendFromA(buf, size);
            byte[] datagram = pair.a.peekDatagram();
            assertEquals(MessageType.TRANSPORT, datagram[0]);
            assertTrue(pair.a.deliverOne(pair.b));
            assertArrayEquals(packet, pair.b.lastTunPacket(), "packet " + i);
        }
        assertEquals(0, pair.b.device.stats().totalDrops(), () -> "B drops " + pair.b.device.stats().dropsByReason());
    }

    @Test
    void eachClockStepGivesAFreshHandshake() {
        BenchPair pair = new BenchPair("auto");
        byte[] probe = BenchPair.tunBuffer(SamplePackets.udp4(BenchPair.TUNNEL_A, BenchPair.TUNNEL_B, 64 - SamplePackets.UDP4_HEADERS));
        Keypair previous = null;
        for (int round = 0; round < 3; round++) {
            pair.clock.advance(BenchPair.HANDSHAKE_STEP_NANOS);
            pair.sendFromA(probe, 64);
            assertEquals(1, pair.a.queued());
            byte[] initiation = pair.a.peekDatagram();
            assertEquals(InitiationMessage.SIZE, initiation.length);
            assertEquals(MessageType.INITIATION, initiation[0]);

            pair.a.deliverOne(pair.b);
            pair.b.device.processHandshakes(pair.b.worker, pair.b);
            assertEquals(1, pair.b.queued());
            byte[] response = pair.b.peekDatagram();
            assertEquals(ResponseMessage.SIZE, response.length);
            assertEquals(MessageType.RESPONSE, response[0]);

            pair.b.deliverOne(pair.a);
            pair.a.device.processHandshakes(pair.a.worker, pair.a);
            Keypair current = pair.peerB.currentKeypair();
            assertNotNull(current);
            assertNotSame(previous, current);
            assertEquals(pair.clock.nanoTime(), current.createdAt());
            previous = current;
            // the staged probe and the keepalive reach B and confirm the session there
            pair.pump();
            assertEquals(current.remoteIndex(), pair.peerA.currentKeypair().localIndex());
        }
        assertEquals(0, pair.a.device.stats().totalDrops(), () -> "A drops " + pair.a.device.stats().dropsByReason());
        assertEquals(0, pair.b.device.stats().totalDrops(), () -> "B drops " + pair.b.device.stats().dropsByReason());
    }
}
