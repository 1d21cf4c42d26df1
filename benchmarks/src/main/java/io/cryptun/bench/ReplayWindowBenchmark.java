package io.cryptun.bench;

import io.cryptun.noise.session.ReplayWindow;
import java.util.Random;
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
 * {@link ReplayWindow#validate} as the receive path calls it once per authenticated packet:
 * counters in order; counters reordered within blocks of {@value #BLOCK} (as parallel senders or a
 * multi-queue path deliver them), all accepted; and a replayed counter, rejected.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ReplayWindowBenchmark {
    static final int BLOCK = 64;
    private static final int PATTERN = 4096;

    private ReplayWindow inOrder;
    private long inOrderNext;
    private ReplayWindow shuffled;
    private final int[] pattern = new int[PATTERN];
    private long shuffledBase;
    private int shuffledIndex;
    private ReplayWindow replayed;

    @Setup
    public void setup() {
        inOrder = new ReplayWindow();
        shuffled = new ReplayWindow();
        replayed = new ReplayWindow();
        Random random = new Random(6479);
        for (int block = 0; block < PATTERN / BLOCK; block++) {
            int[] perm = new int[BLOCK];
            for (int i = 0; i < BLOCK; i++) {
                int j = random.nextInt(i + 1);
                perm[i] = perm[j];
                perm[j] = i;
            }
            for (int i = 0; i < BLOCK; i++) {
                pattern[block * BLOCK + i] = block * BLOCK + perm[i];
            }
        }
        for (long c = 0; c < 10_000; c++) {
            replayed.validate(c);
        }
        if (replayed.validate(9_000)) {
            throw new IllegalStateException("a replayed counter was accepted");
        }
    }

    @Benchmark
    public boolean validateInOrder() {
        return accepted(inOrder.validate(inOrderNext++));
    }

    @Benchmark
    public boolean validateOutOfOrder() {
        boolean ok = shuffled.validate(shuffledBase + pattern[shuffledIndex]);
        if (++shuffledIndex == PATTERN) {
            shuffledIndex = 0;
            shuffledBase += PATTERN;
        }
        return accepted(ok);
    }

    @Benchmark
    public boolean validateReplayed() {
        return replayed.validate(9_000);
    }

    /** Every counter fed here is new and inside the window: a rejection means the benchmark is broken. */
    private static boolean accepted(boolean ok) {
        if (!ok) {
            throw new IllegalStateException("a fresh counter was rejected");
        }
        return ok;
    }
}
