package io.cryptun.testkit;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Finding binaries, running commands with a time limit, and ending processes by PID (never by name). */
public final class Processes {

    /** How long {@link #run(String...)} lets a command run before killing it. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    /** Time a process gets between SIGTERM and SIGKILL. */
    public static final Duration TERMINATE_GRACE = Duration.ofSeconds(5);

    // Tools like ip(8) live in sbin, which a non-login PATH may lack.
    private static final List<String> EXTRA_DIRS = List.of("/usr/local/sbin", "/usr/sbin", "/sbin");

    private static final File DEV_NULL = new File("/dev/null");

    private Processes() {
    }

    /** The executable called {@code name} on PATH (or in the sbin directories), if any. */
    public static Optional<Path> findOnPath(String name) {
        if (name.contains("/")) {
            Path p = Path.of(name);
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        Set<String> dirs = new LinkedHashSet<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String d : path.split(File.pathSeparator)) {
                if (!d.isEmpty()) {
                    dirs.add(d);
                }
            }
        }
        dirs.addAll(EXTRA_DIRS);
        for (String d : dirs) {
            Path candidate = Path.of(d, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** Runs a command with the {@link #DEFAULT_TIMEOUT}. */
    public static ExecResult run(String... argv) {
        return run(List.of(argv), DEFAULT_TIMEOUT);
    }

    /**
     * Runs a command to completion, stdin from /dev/null. Output goes through temporary files rather than pipes,
     * so a background child that keeps the pipes open cannot make this hang.
     *
     * @throws CommandFailedException if it cannot be started or runs past {@code timeout} (it and its descendants
     *                                are then killed); a non-zero exit is <em>not</em> an exception here, see
     *                                {@link ExecResult#requireSuccess()}
     */
    public static ExecResult run(List<String> argv, Duration timeout) {
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("testkit-out", ".txt");
            err = Files.createTempFile("testkit-err", ".txt");
            ProcessBuilder pb = new ProcessBuilder(argv)
                    .redirectInput(DEV_NULL)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            Process p;
            try {
                p = pb.start();
            } catch (IOException e) {
                throw new CommandFailedException("cannot start " + String.join(" ", argv) + ": " + e.getMessage(), e);
            }
            boolean finished;
            try {
                finished = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                terminateTree(List.of(p.pid()));
                Thread.currentThread().interrupt();
                throw new CommandFailedException("interrupted while running " + String.join(" ", argv), e);
            }
            if (!finished) {
                terminateTree(List.of(p.pid()));
                ExecResult partial = new ExecResult(argv, -1, read(out), read(err));
                throw new CommandFailedException(partial.describe("timed out after " + timeout.toMillis() + " ms"));
            }
            return new ExecResult(argv, p.exitValue(), read(out), read(err));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    /**
     * All descendants of {@code pid} (children, grandchildren, ...) found by reading the parent PID of every
     * process in /proc. Take this snapshot before ending the parent: orphans are re-parented and lose the link.
     */
    public static List<Long> descendantsOf(long pid) {
        Map<Long, List<Long>> children = new HashMap<>();
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            entries.forEach(dir -> {
                String n = dir.getFileName().toString();
                if (!n.chars().allMatch(Character::isDigit)) {
                    return;
                }
                long parent = parentPid(dir.resolve("stat"));
                if (parent > 0) {
                    children.computeIfAbsent(parent, k -> new ArrayList<>()).add(Long.parseLong(n));
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Long> result = new ArrayList<>();
        ArrayDeque<Long> todo = new ArrayDeque<>(children.getOrDefault(pid, List.of()));
        while (!todo.isEmpty()) {
            long p = todo.removeFirst();
            if (!result.contains(p)) {
                result.add(p);
                todo.addAll(children.getOrDefault(p, List.of()));
            }
        }
        return result;
    }

    /**
     * Ends the given processes and all their descendants: SIGTERM, up to {@link #TERMINATE_GRACE} to exit, then
     * SIGKILL for whatever is left. PIDs that no longer exist are ignored.
     *
     * @return the PIDs that were still alive after SIGKILL (normally empty)
     */
    public static List<Long> terminateTree(Collection<Long> pids) {
        List<ProcessHandle> handles = new ArrayList<>();
        long self = ProcessHandle.current().pid();
        for (long pid : pids) {
            if (pid == self) {
                continue; // never this JVM, whatever a caller passes
            }
            // Snapshot descendants before signalling anyone.
            for (long d : descendantsOf(pid)) {
                ProcessHandle.of(d).ifPresent(handles::add);
            }
            ProcessHandle.of(pid).ifPresent(handles::add);
        }
        return terminate(handles);
    }

    /** SIGTERM, wait up to {@link #TERMINATE_GRACE}, then SIGKILL; returns PIDs that survived even that. */
    static List<Long> terminate(List<ProcessHandle> handles) {
        for (ProcessHandle h : handles) {
            h.destroy();
        }
        long deadline = System.nanoTime() + TERMINATE_GRACE.toNanos();
        while (handles.stream().anyMatch(Processes::running) && System.nanoTime() < deadline) {
            sleepBriefly(20);
        }
        for (ProcessHandle h : handles) {
            if (running(h)) {
                h.destroyForcibly();
            }
        }
        long killDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (handles.stream().anyMatch(Processes::running) && System.nanoTime() < killDeadline) {
            sleepBriefly(10);
        }
        List<Long> survivors = new ArrayList<>();
        for (ProcessHandle h : handles) {
            if (running(h)) {
                survivors.add(h.pid());
            }
        }
        return survivors;
    }

    /**
     * Alive and not a zombie. An orphan that has exited stays a zombie until PID 1 reaps it, which can take a
     * while in containers; it holds no resources then, so it counts as ended.
     */
    public static boolean running(ProcessHandle h) {
        if (!h.isAlive()) {
            return false;
        }
        try {
            String s = Files.readString(Path.of("/proc/" + h.pid() + "/stat"), StandardCharsets.ISO_8859_1);
            int close = s.lastIndexOf(')');
            return close < 0 || close + 2 >= s.length() || s.charAt(close + 2) != 'Z';
        } catch (IOException e) {
            return false; // gone
        }
    }

    /** {@link #running(ProcessHandle)} by PID. */
    public static boolean running(long pid) {
        return ProcessHandle.of(pid).map(Processes::running).orElse(false);
    }

    private static long parentPid(Path stat) {
        try {
            String s = Files.readString(stat, StandardCharsets.ISO_8859_1);
            // Field 2 (comm) is in parentheses and may contain spaces or ')'; the rest follows the last ')'.
            int close = s.lastIndexOf(')');
            if (close < 0) {
                return -1;
            }
            String[] rest = s.substring(close + 2).split(" ");
            return Long.parseLong(rest[1]);
        } catch (IOException | RuntimeException e) {
            return -1; // the process went away while we looked
        }
    }

    private static String read(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.UTF_8);
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // a temp file left behind is harmless
            }
        }
    }

    static void sleepBriefly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
