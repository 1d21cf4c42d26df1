package io.cryptun.bench;

import io.cryptun.noise.cookie.CookieChecker;
import io.cryptun.noise.cookie.CookieGenerator;
import io.cryptun.noise.device.SamplePackets;
import io.cryptun.noise.wire.CookieReplyMessage;
import io.cryptun.noise.wire.InitiationMessage;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The responder's DoS checks on a real 148-byte initiation ({@link CookieChecker}): mac1 (done for
 * every handshake message before any DH), mac2 (done under load; includes deriving the cookie from
 * the secret and the source address) and building a cookie reply (cookie + XChaCha20-Poly1305 +
 * 24 random nonce bytes from a default {@link SecureRandom}, as the daemon uses).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CookieBenchmark {
    private static final long NOW = 5_000_000_000L;
    /** 198.18.0.1 port 51820, as LoadGuard.cookieSource lays out an IPv4 source. */
    private static final byte[] SOURCE = {(byte) 198, 18, 0, 1, (byte) (51820 >>> 8), (byte) 51820};

    private CookieChecker checker;
    private byte[] initiation;
    private byte[] withMac2;
    private int sender;
    private final byte[] reply = new byte[CookieReplyMessage.SIZE];

    @Setup
    public void setup() {
        BenchPair pair = new BenchPair("auto");
        pair.sendFromA(BenchPair.tunBuffer(SamplePackets.udp4(BenchPair.TUNNEL_A, BenchPair.TUNNEL_B, 64 - SamplePackets.UDP4_HEADERS)), 64);
        initiation = pair.a.peekDatagram();
        sender = InitiationMessage.sender(initiation, 0);

        checker = new CookieChecker(new SecureRandom());
        checker.init(pair.b.publicKey);
        if (!checker.checkMac1(initiation, 0, initiation.length)) {
            throw new IllegalStateException("mac1 of A's initiation does not verify against B's key");
        }
        // The initiator's side of a cookie exchange, to get a message whose mac2 is valid.
        CookieGenerator generator = new CookieGenerator(pair.b.publicKey);
        withMac2 = initiation.clone();
        generator.addMacs(withMac2, 0, withMac2.length, NOW);
        checker.createReply(withMac2, 0, withMac2.length, sender, SOURCE, NOW, reply, 0);
        if (!generator.consumeReply(reply, 0, NOW)) {
            throw new IllegalStateException("cookie reply does not open");
        }
        generator.addMacs(withMac2, 0, withMac2.length, NOW);
        if (!checker.checkMac2(withMac2, 0, withMac2.length, SOURCE, NOW)) {
            throw new IllegalStateException("mac2 made with the cookie does not verify");
        }
    }

    @Benchmark
    public boolean mac1Check() {
        return checker.checkMac1(initiation, 0, initiation.length);
    }

    @Benchmark
    public boolean mac2Check() {
        return checker.checkMac2(withMac2, 0, withMac2.length, SOURCE, NOW);
    }

    @Benchmark
    public byte[] replyCreate() {
        checker.createReply(initiation, 0, initiation.length, sender, SOURCE, NOW, reply, 0);
        return reply;
    }
}
