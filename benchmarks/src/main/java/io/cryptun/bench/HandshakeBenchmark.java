package io.cryptun.bench;

import io.cryptun.noise.device.SamplePackets;
import io.cryptun.noise.session.Keypair;
import io.cryptun.noise.wire.InitiationMessage;
import io.cryptun.noise.wire.MessageType;
import io.cryptun.noise.wire.ResponseMessage;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The three handshake steps through the public {@code Device} entry points, each timed alone on
 * two in-memory interfaces ({@link BenchPair}); the clock steps past REJECT_AFTER_TIME before each
 * step so no rate limit or live session gets in the way.
 *
 * <ul>
 * <li>{@code initiationCreate}: A is handed a packet for B and has no session: it stages the
 *     packet and builds, MACs and "sends" an initiation (1 X25519 key generation + 2 DH + the
 *     hashing and AEAD of message 1).</li>
 * <li>{@code initiationConsume}: B receives that initiation and runs its handshake worker: mac1
 *     check, message 1 (2 DH), then the response (key generation + 2 DH), its MACs, session keys.</li>
 * <li>{@code responseConsume}: A receives the response: mac1 check, message 2 (2 DH), session keys,
 *     then the staged packet and a keepalive go out on the new session.</li>
 * </ul>
 * The message each step consumes is produced in an untimed per-invocation setup; steps take
 * hundreds of microseconds, so JMH's per-invocation bookkeeping is noise.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HandshakeBenchmark {
    private static final int PROBE_LENGTH = 64;

    /** A pair with A never answered: every packet A is given starts a handshake. */
    @State(Scope.Thread)
    public static class Initiator {
        BenchPair pair;
        byte[] probe;

        @Setup
        public void setup() {
            pair = new BenchPair("auto");
            probe = BenchPair.tunBuffer(SamplePackets.udp4(BenchPair.TUNNEL_A, BenchPair.TUNNEL_B, PROBE_LENGTH - SamplePackets.UDP4_HEADERS));
        }

        @TearDown(Level.Invocation)
        public void check() {
            byte[] sent = pair.a.peekDatagram();
            if (pair.a.queued() != 1 || sent.length != InitiationMessage.SIZE || sent[0] != MessageType.INITIATION) {
                throw new IllegalStateException("expected exactly one initiation from A, got " + pair.a.queued()
                        + " datagrams, the first " + sent.length + " bytes");
            }
            pair.a.discardQueued();
        }
    }

    /** A fresh initiation from A, waiting to be received by B. */
    @State(Scope.Thread)
    public static class Responder {
        BenchPair pair;
        byte[] probe;
        byte[] initiation;

        @Setup
        public void setup() {
            pair = new BenchPair("auto");
            probe = BenchPair.tunBuffer(SamplePackets.udp4(BenchPair.TUNNEL_A, BenchPair.TUNNEL_B, PROBE_LENGTH - SamplePackets.UDP4_HEADERS));
        }

        @Setup(Level.Invocation)
        public void nextInitiation() {
            pair.clock.advance(BenchPair.HANDSHAKE_STEP_NANOS);
            pair.sendFromA(probe, PROBE_LENGTH);
            initiation = pair.a.peekDatagram();
            pair.a.discardQueued();
        }

        @TearDown(Level.Invocation)
        public void check() {
            byte[] sent = pair.b.peekDatagram();
            if (pair.b.queued() != 1 || sent.length != ResponseMessage.SIZE || sent[0] != MessageType.RESPONSE) {
                throw new IllegalStateException("expected exactly one response from B, got " + pair.b.queued()
                        + " datagrams; B drops " + pair.b.device.stats().dropsByReason());
            }
            pair.b.discardQueued();
        }
    }

    /** A fresh response from B to A's latest initiation, waiting to be received by A. */
    @State(Scope.Thread)
    public static class InitiatorFinish {
        BenchPair pair;
        byte[] probe;
        byte[] response;

        @Setup
        public void setup() {
            pair = new BenchPair("auto");
            probe = BenchPair.tunBuffer(SamplePackets.udp4(BenchPair.TUNNEL_A, BenchPair.TUNNEL_B, PROBE_LENGTH - SamplePackets.UDP4_HEADERS));
        }

        @Setup(Level.Invocation)
        public void nextResponse() {
            pair.clock.advance(BenchPair.HANDSHAKE_STEP_NANOS);
            pair.sendFromA(probe, PROBE_LENGTH);
            pair.a.deliverOne(pair.b);
            pair.b.device.processHandshakes(pair.b.worker, pair.b);
            response = pair.b.peekDatagram();
            pair.b.discardQueued();
        }

        @TearDown(Level.Invocation)
        public void check() {
            Keypair kp = pair.peerB.currentKeypair();
            if (kp == null || kp.createdAt() != pair.clock.nanoTime() || pair.a.queued() == 0) {
                throw new IllegalStateException("A did not complete the handshake; A drops "
                        + pair.a.device.stats().dropsByReason());
            }
            pair.a.discardQueued();
        }
    }

    @Benchmark
    public int initiationCreate(Initiator s) {
        s.pair.clock.advance(BenchPair.HANDSHAKE_STEP_NANOS);
        s.pair.sendFromA(s.probe, PROBE_LENGTH);
        return s.pair.a.queued();
    }

    @Benchmark
    public int initiationConsume(Responder s) {
        BenchNode b = s.pair.b;
        b.device.receive(b.worker, s.initiation, 0, s.initiation.length, s.pair.a.address, b);
        return b.device.processHandshakes(b.worker, b);
    }

    @Benchmark
    public int responseConsume(InitiatorFinish s) {
        BenchNode a = s.pair.a;
        a.device.receive(a.worker, s.response, 0, s.response.length, s.pair.b.address, a);
        return a.device.processHandshakes(a.worker, a);
    }
}
