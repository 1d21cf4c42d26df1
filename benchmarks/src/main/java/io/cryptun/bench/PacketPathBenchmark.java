package io.cryptun.bench;

import io.cryptun.noise.device.Protocol;
import io.cryptun.noise.device.SamplePackets;
import io.cryptun.noise.wire.TransportMessage;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The whole data path between two in-memory interfaces with an established session, without
 * syscalls: {@code encapsulate} = the IP packet is copied into A's TUN read buffer, then
 * {@code Device.sendPacket} (AllowedIPs lookup, padding, header, seal, timers) and the datagram copy
 * into the "socket"; {@code roundTrip} adds B's {@code Device.receive} (index lookup, open, replay
 * window, source check, timers) and the copy into the "TUN device". Decapsulation alone is
 * roundTrip − encapsulate (the replay window makes a received datagram unrepeatable).
 * The clock stands still, so the session never ages during a run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PacketPathBenchmark {
    @Param({"jdk", "bc"})
    public String backend;

    /** Length of the inner IP packet; 1420 is a full packet at WireGuard's default MTU. */
    @Param({"64", "1420"})
    public int size;

    private BenchPair pair;
    private byte[] packet;
    private byte[] tunIn;
    private long writesBefore;
    private long invocations;

    @Setup
    public void setup() {
        pair = new BenchPair(backend);
        pair.establishSession();
        pair.pump();
        packet = SamplePackets.udp4(BenchPair.TUNNEL_A, BenchPair.TUNNEL_B, size - SamplePackets.UDP4_HEADERS);
        tunIn = BenchPair.tunBuffer(packet);
        pair.sendFromA(tunIn, size);
        if (pair.a.queued() != 1 || pair.a.peekDatagram().length
                != TransportMessage.HEADER_SIZE + TransportMessage.paddedLength(size, pair.a.device.mtu()) + 16) {
            throw new IllegalStateException("A did not send one transport datagram for a " + size + "-byte packet");
        }
        pair.a.deliverOne(pair.b);
        if (!Arrays.equals(pair.b.lastTunPacket(), packet)) {
            throw new IllegalStateException("B did not deliver the packet A sent; B drops "
                    + pair.b.device.stats().dropsByReason());
        }
        writesBefore = pair.b.tunWrites();
    }

    @TearDown
    public void checkEveryPacketArrived() {
        long delivered = pair.b.tunWrites() - writesBefore;
        if (delivered != invocations) {
            throw new IllegalStateException("B delivered " + delivered + " of " + invocations + " round-trip packets; "
                    + "B drops " + pair.b.device.stats().dropsByReason());
        }
    }

    @Benchmark
    public int encapsulate() {
        System.arraycopy(packet, 0, tunIn, Protocol.HEADROOM, size);
        pair.sendFromA(tunIn, size);
        pair.a.discardQueued();
        return tunIn[Protocol.HEADROOM];
    }

    @Benchmark
    public boolean roundTrip() {
        System.arraycopy(packet, 0, tunIn, Protocol.HEADROOM, size);
        pair.sendFromA(tunIn, size);
        invocations++;
        return pair.a.deliverOne(pair.b);
    }
}
