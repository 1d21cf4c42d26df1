package io.cryptun.cli.daemon;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Waits for the JIT compiler threads of this JVM to go quiet (their CPU time, read from
 * /proc/self/task, stops growing), for at most a given time: the warm-up leaves compilations queued,
 * and the first real packets should not share the cores with them. The JVM offers no queue length
 * outside its diagnostic commands; the compiler threads' own CPU time says the same without loading
 * the management classes.
 */
final class CompilerQuiet {
    private CompilerQuiet() {
    }

    /** Returns how long it waited, in ms; at once where /proc cannot be read. */
    static long await(long maxMillis, long quietMillis) {
        long t0 = System.nanoTime();
        long deadline = t0 + maxMillis * 1_000_000L;
        long last = compilerTicks();
        if (last < 0) {
            return 0;
        }
        long quietSince = System.nanoTime();
        while (System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            long now = compilerTicks();
            if (now != last) {
                last = now;
                quietSince = System.nanoTime();
            } else if (System.nanoTime() - quietSince >= quietMillis * 1_000_000L) {
                break;
            }
        }
        return (System.nanoTime() - t0) / 1_000_000L;
    }

    /** utime + stime of the compiler threads, in clock ticks; -1 when unreadable. */
    static long compilerTicks() {
        long sum = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path t : tasks) {
                String comm;
                try {
                    comm = Files.readString(t.resolve("comm")).trim();
                } catch (IOException e) {
                    continue; // the thread ended
                }
                if (!comm.startsWith("C2 Compiler") && !comm.startsWith("C1 Compiler")) {
                    continue;
                }
                String stat = Files.readString(t.resolve("stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                sum += Long.parseLong(f[11]) + Long.parseLong(f[12]);
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return sum;
    }
}
