package io.cryptun.bench;

import io.cryptun.noise.crypto.TransportCipher;
import io.cryptun.noise.crypto.TransportKey;
import io.cryptun.noise.device.Protocol;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The data-path AEAD (ChaCha20-Poly1305 with WireGuard's counter nonce) through
 * {@link TransportCipher}, per backend and plaintext size, one packet at a time and in batches of
 * {@value #BATCH} packets (scores are per packet either way).
 *
 * <p>Packets sit at offset {@link Protocol#HEADROOM} as on the real path (a transport header
 * before them), are sealed in place with a fresh counter each time (the JDK provider refuses a
 * repeated key and nonce), and are opened from a pristine copy restored before each open, so open
 * scores include one {@code System.arraycopy} of the ciphertext (tens of nanoseconds).
 * {@code sealOpen} seals and then opens the same packet: the cost of one packet through both ends.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TransportCipherBenchmark {
    static final int BATCH = 64;
    private static final int OFF = Protocol.HEADROOM;
    private static final int TAG = TransportCipher.TAG_LENGTH;

    /**
     * jdk, bc; the runner adds sodium where libsodium is installed, and openssl (libcrypto through
     * java.lang.foreign) on JDK 22 and later where libcrypto is (not in the default: the smoke test
     * runs on JDK 17).
     */
    @Param({"jdk", "bc"})
    public String backend;

    @Param({"64", "512", "1420"})
    public int size;

    private TransportCipher cipher;
    private TransportKey key;
    private long counter;
    private byte[] packet;
    private byte[][] batch;
    private byte[][] sealed;
    private long[] sealedCounters;
    private byte[][] openBuffers;

    @Setup
    public void setup() {
        cipher = TransportCipher.create(backend);
        byte[] raw = new byte[32];
        BenchNode.seeded(7).nextBytes(raw);
        key = new TransportKey(raw);
        packet = newBuffer(0);
        batch = new byte[BATCH][];
        sealed = new byte[BATCH][];
        openBuffers = new byte[BATCH][];
        sealedCounters = new long[BATCH];
        for (int i = 0; i < BATCH; i++) {
            batch[i] = newBuffer(i);
            byte[] s = newBuffer(i + 1000);
            long c = 1_000_000 + i;
            if (cipher.seal(key, c, s, OFF, size) != size + TAG) {
                throw new IllegalStateException(backend + ": seal returned the wrong length");
            }
            sealed[i] = s;
            sealedCounters[i] = c;
            openBuffers[i] = s.clone();
            if (cipher.open(key, c, openBuffers[i], OFF, size + TAG) != size) {
                throw new IllegalStateException(backend + ": a packet it sealed does not open");
            }
        }
    }

    private byte[] newBuffer(int seed) {
        byte[] b = new byte[OFF + size + TAG];
        for (int i = OFF; i < OFF + size; i++) {
            b[i] = (byte) (i * 131 + seed);
        }
        return b;
    }

    @Benchmark
    public int seal() {
        return cipher.seal(key, counter++, packet, OFF, size);
    }

    @Benchmark
    public int open() {
        int i = (int) (counter++ & (BATCH - 1));
        byte[] buf = openBuffers[i];
        System.arraycopy(sealed[i], OFF, buf, OFF, size + TAG);
        return check(cipher.open(key, sealedCounters[i], buf, OFF, size + TAG));
    }

    @Benchmark
    public int sealOpen() {
        long c = counter++;
        cipher.seal(key, c, packet, OFF, size);
        return check(cipher.open(key, c, packet, OFF, size + TAG));
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int sealBatch() {
        int total = 0;
        for (byte[] buf : batch) {
            total += cipher.seal(key, counter++, buf, OFF, size);
        }
        return total;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int openBatch() {
        int total = 0;
        for (int i = 0; i < BATCH; i++) {
            byte[] buf = openBuffers[i];
            System.arraycopy(sealed[i], OFF, buf, OFF, size + TAG);
            total += check(cipher.open(key, sealedCounters[i], buf, OFF, size + TAG));
        }
        return total;
    }

    /** A failed open would time the fast rejection path instead of decryption: stop the run instead. */
    private int check(int plain) {
        if (plain != size) {
            throw new IllegalStateException(backend + ": open failed during the benchmark");
        }
        return plain;
    }
}
