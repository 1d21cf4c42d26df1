package io.cryptun.cli.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident memory and CPU time of a process, from /proc. */
final class ProcessUsage {
    /** Linux reports utime and stime in clock ticks of USER_HZ, which is 100 on every mainstream build. */
    private static final long TICKS_PER_SECOND = 100;

    private ProcessUsage() {
    }

    /** VmRSS in kilobytes. */
    static long rssKb(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"), StandardCharsets.UTF_8)) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
            }
        }
        throw new IOException("no VmRSS for " + pid);
    }

    /** System (kernel) CPU time used so far, in milliseconds. */
    static long systemCpuMillis(long pid) throws IOException {
        String s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.ISO_8859_1);
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[12]) * 1000 / TICKS_PER_SECOND;
    }

    /** User plus system CPU time used so far, in milliseconds. */
    static long cpuMillis(long pid) throws IOException {
        String s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.ISO_8859_1);
        // fields after the command name (which may hold spaces) start at the last ')'
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
        return ticks * 1000 / TICKS_PER_SECOND;
    }

    /**
     * User plus system CPU time, in milliseconds, of the process's threads whose name starts with
     * {@code prefix} (Linux keeps the first 15 characters of a Java thread's name).
     */
    static long threadCpuMillis(long pid, String prefix) throws IOException {
        return threadCpuMillis(pid, prefix, false);
    }

    /** As {@link #threadCpuMillis(long, String)}, the system (kernel) part only when {@code systemOnly}. */
    static long threadCpuMillis(long pid, String prefix, boolean systemOnly) throws IOException {
        long ticks = 0;
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                String s;
                try {
                    s = Files.readString(task.resolve("stat"), StandardCharsets.ISO_8859_1);
                } catch (IOException e) {
                    continue; // the thread ended meanwhile
                }
                String comm = s.substring(s.indexOf('(') + 1, s.lastIndexOf(')'));
                if (comm.startsWith(prefix)) {
                    String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
                    ticks += (systemOnly ? 0 : Long.parseLong(f[11])) + Long.parseLong(f[12]);
                }
            }
        }
        return ticks * 1000 / TICKS_PER_SECOND;
    }
}
