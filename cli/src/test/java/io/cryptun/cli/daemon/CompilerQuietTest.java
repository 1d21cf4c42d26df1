package io.cryptun.cli.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
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

    /**
     * It runs just before the start-up's last collection: garbage made while it polls fills the
     * young generation that the first real packets then pay to collect. Polling every 5 ms for 300
     * ms read every thread's files each time (~2 MB); now the compiler threads' stat files, open, into
     * one buffer: only the opening allocates.
     */
    @Test
    void pollingAllocatesNothingPerPoll() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().getId();
        CompilerQuiet.await(20, 10_000); // the classes it uses, loaded
        long before = threads.getThreadAllocatedBytes(id);
        CompilerQuiet.await(20, 10_000);
        long shortWait = threads.getThreadAllocatedBytes(id) - before;
        before = threads.getThreadAllocatedBytes(id);
        CompilerQuiet.await(300, 10_000); // ~60 polls
        long longWait = threads.getThreadAllocatedBytes(id) - before;
        assertTrue(longWait - shortWait < 16 * 1024,
                "a 300 ms wait allocated " + longWait + " bytes, a 20 ms one " + shortWait);
    }

    @Test
    void readsUserAndSystemTimeAfterTheCommand() {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
        assertEquals(17 + 4, CompilerQuiet.utimePlusStime(
                "1234 (C1 CompilerThre) S 1 1 1 0 -1 4194368 10 0 0 0 17 4 0 0 20 0 30 0 100 0 0\n"));
        // a command may hold spaces and parentheses: the last ')' ends it
        assertEquals(7 + 9, CompilerQuiet.utimePlusStime("99 (a) b (c)) R 1 1 1 0 -1 0 0 0 0 0 7 9 0 0\n"));
        assertEquals(-1, CompilerQuiet.utimePlusStime("99 (cut short) R 1 1"));
        assertEquals(-1, CompilerQuiet.utimePlusStime("no parenthesis at all"));
        assertEquals(-1, CompilerQuiet.utimePlusStime("1 (x) S 1 1 1 0 -1 0 0 0 0 0 1x 2 0\n"));
    }
}
