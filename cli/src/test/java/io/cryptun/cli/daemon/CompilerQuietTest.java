package io.cryptun.cli.daemon;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The wait for a quiet JIT reads the compiler threads' CPU time and ends within its bound. */
class CompilerQuietTest {
    @Test
    void readsTheCompilerThreadsAndWaitsForAQuietSpellWithinItsBound() {
        assertTrue(CompilerQuiet.compilerTicks() >= 0, "the compiler threads' CPU time is readable on Linux");
        long waited = CompilerQuiet.await(400, 30);
        // a quiet spell of 30 ms at least, or the bound (the test JVM may compile the whole time)
        assertTrue(waited >= 30 && waited <= 400 + 100, "waited " + waited + " ms");
    }

    @Test
    void aBusyCompilerIsWaitedForNoLongerThanTheBound() {
        long t0 = System.nanoTime();
        // a quiet spell longer than the bound can never be seen: the bound ends the wait
        long waited = CompilerQuiet.await(50, 10_000);
        long took = (System.nanoTime() - t0) / 1_000_000L;
        assertTrue(waited >= 50 && took < 50 + 200, "waited " + waited + " ms, took " + took + " ms");
    }
}
