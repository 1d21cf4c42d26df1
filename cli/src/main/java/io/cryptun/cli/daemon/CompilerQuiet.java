package io.cryptun.cli.daemon;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Waits for the JIT compiler threads of this JVM to go quiet (their CPU time, read from
 * /proc/self/task, stops growing), for at most a given time: the warm-up leaves compilations queued,
 * and the first real packets should not share the cores with them. The JVM offers no queue length
 * outside its diagnostic commands; the compiler threads' own CPU time says the same without loading
 * the management classes.
 *
 * <p>It allocates nothing while it polls: it runs just before the start-up's last collection, and
 * garbage made here (it read every thread's files every 5 ms: ~2 MB per wait) filled the young
 * generation again, so the first real packets paid for a collection.
 */
final class CompilerQuiet {
    private final List<RandomAccessFile> stats;
    private final byte[] buf = new byte[1024];

    private CompilerQuiet(List<RandomAccessFile> stats) {
        this.stats = stats;
    }

    /** Returns how long it waited, in ms; at once where /proc cannot be read. */
    static long await(long maxMillis, long quietMillis) {
        long t0 = System.nanoTime();
        CompilerQuiet q = open();
        if (q == null) {
            return 0;
        }
        try {
            long deadline = t0 + maxMillis * 1_000_000L;
            long last = q.ticks();
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
                long now = q.ticks();
                if (now != last) {
                    last = now;
                    quietSince = System.nanoTime();
                } else if (System.nanoTime() - quietSince >= quietMillis * 1_000_000L) {
                    break;
                }
            }
            return (System.nanoTime() - t0) / 1_000_000L;
        } finally {
            q.close();
        }
    }

    /** utime + stime of the compiler threads, in clock ticks; -1 when unreadable. */
    static long compilerTicks() {
        CompilerQuiet q = open();
        if (q == null) {
            return -1;
        }
        try {
            return q.ticks();
        } finally {
            q.close();
        }
    }

    /** The compiler threads' stat files, open; null when /proc cannot be read. */
    private static CompilerQuiet open() {
        List<RandomAccessFile> stats = new ArrayList<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path t : tasks) {
                String comm;
                try {
                    comm = Files.readString(t.resolve("comm")).trim();
                    if (comm.startsWith("C2 Compiler") || comm.startsWith("C1 Compiler")) {
                        stats.add(new RandomAccessFile(t.resolve("stat").toFile(), "r"));
                    }
                } catch (IOException e) {
                    // the thread ended
                }
            }
        } catch (IOException | RuntimeException e) {
            stats.forEach(CompilerQuiet::closeQuietly);
            return null;
        }
        return new CompilerQuiet(stats);
    }

    /** Their utime + stime now, read into the same buffer each time; -1 when unreadable. */
    private long ticks() {
        long sum = 0;
        for (RandomAccessFile f : stats) {
            try {
                f.seek(0);
                int n = 0;
                for (int r; n < buf.length && (r = f.read(buf, n, buf.length - n)) > 0; ) {
                    n += r;
                }
                long t = utimePlusStime(buf, n);
                if (t < 0) {
                    return -1;
                }
                sum += t;
            } catch (IOException e) {
                // a compiler thread the JVM ended (it stops idle ones): its time no longer grows
            }
        }
        return sum;
    }

    /**
     * Fields 14 and 15 (utime, stime) of a /proc stat line, counted after the command's closing
     * parenthesis (a command may hold spaces and parentheses itself); -1 when the line is not one.
     */
    static long utimePlusStime(byte[] line, int len) {
        int close = -1;
        for (int i = len - 1; i >= 0; i--) {
            if (line[i] == ')') {
                close = i;
                break;
            }
        }
        if (close < 0) {
            return -1;
        }
        // after ") " comes field 3 (state); utime is field 14, stime field 15
        int field = 3;
        long utime = -1;
        int i = close + 2;
        while (i < len) {
            int start = i;
            while (i < len && line[i] != ' ' && line[i] != '\n') {
                i++;
            }
            if (field == 14 || field == 15) {
                long v = 0;
                if (start == i) {
                    return -1;
                }
                for (int k = start; k < i; k++) {
                    int d = line[k] - '0';
                    if (d < 0 || d > 9) {
                        return -1;
                    }
                    v = v * 10 + d;
                }
                if (field == 14) {
                    utime = v;
                } else {
                    return utime + v;
                }
            }
            field++;
            i++;
        }
        return -1;
    }

    private void close() {
        stats.forEach(CompilerQuiet::closeQuietly);
    }

    private static void closeQuietly(RandomAccessFile f) {
        try {
            f.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    /** For tests: the same parse over a string. */
    static long utimePlusStime(String line) {
        byte[] b = line.getBytes(StandardCharsets.US_ASCII);
        return utimePlusStime(b, b.length);
    }
}
