package io.cryptun.testkit;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * A private Linux network namespace made for a test, with the loopback interface up. Commands run inside it via
 * {@code ip netns exec}; Java code runs inside it via {@link #callInside(Callable)}. {@link #close()} ends every
 * process it started (and their descendants, and anything else left in the namespace) by PID, then deletes the
 * namespace by its exact name.
 */
public final class Netns implements AutoCloseable {

    /** Where iproute2 keeps named namespaces. */
    public static final Path NETNS_DIR = Path.of("/var/run/netns");

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int NAME_SUFFIX_HEX_DIGITS = 6;
    private static final int MAX_PREFIX_LENGTH = 16;

    private static volatile String unavailableReason;
    private static volatile boolean probed;

    private final String name;
    private final List<Process> spawned = new ArrayList<>();
    private boolean closed;

    private Netns(String name) {
        this.name = name;
    }

    /**
     * Whether this machine can run namespace tests: running as root, {@code ip} present, /dev/net/tun present and
     * {@code ip netns add} working. Probed once per JVM.
     */
    public static boolean available() {
        return unavailableReason() == null;
    }

    /** Why {@link #available()} is false, or {@code null} if namespaces are available. */
    public static String unavailableReason() {
        if (!probed) {
            synchronized (Netns.class) {
                if (!probed) {
                    unavailableReason = probe();
                    probed = true;
                }
            }
        }
        return unavailableReason;
    }

    private static String probe() {
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
            return "not Linux";
        }
        if (effectiveUid() != 0) {
            return "not running as root";
        }
        if (Processes.findOnPath("ip").isEmpty()) {
            return "ip (iproute2) not found";
        }
        if (!Files.exists(Path.of("/dev/net/tun"))) {
            return "/dev/net/tun missing";
        }
        String probeName = "tkprobe-" + randomSuffix();
        try {
            ExecResult add = Processes.run("ip", "netns", "add", probeName);
            if (!add.succeeded()) {
                return "ip netns add failed: " + add.stderr().strip();
            }
            return null;
        } catch (CommandFailedException e) {
            return "ip netns add failed: " + e.getMessage();
        } finally {
            if (Files.exists(NETNS_DIR.resolve(probeName))) {
                Processes.run("ip", "netns", "delete", probeName);
            }
        }
    }

    private static long effectiveUid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.UTF_8)) {
                if (line.startsWith("Uid:")) {
                    return Long.parseLong(line.substring(4).trim().split("\\s+")[1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /**
     * Creates a namespace named {@code prefix-xxxxxx} (6 random hex digits) and brings its loopback up.
     *
     * @param prefix short lowercase tag identifying the creator, e.g. {@code cttun}; at most 16 characters
     */
    public static Netns create(String prefix) {
        if (prefix == null || prefix.isEmpty() || prefix.length() > MAX_PREFIX_LENGTH
                || !prefix.matches("[a-z0-9][a-z0-9-]*")) {
            throw new IllegalArgumentException("namespace prefix must be 1-" + MAX_PREFIX_LENGTH
                    + " characters of a-z, 0-9 and '-': " + prefix);
        }
        for (int attempt = 0; ; attempt++) {
            String name = prefix + "-" + randomSuffix();
            ExecResult add = Processes.run("ip", "netns", "add", name);
            if (add.succeeded()) {
                Netns ns = new Netns(name);
                try {
                    Processes.run("ip", "-n", name, "link", "set", "lo", "up").requireSuccess();
                } catch (RuntimeException e) {
                    ns.close();
                    throw e;
                }
                return ns;
            }
            if (attempt >= 3 || !Files.exists(NETNS_DIR.resolve(name))) {
                add.requireSuccess(); // throws with ip's message
            }
            // name collision with an existing namespace: try another suffix
        }
    }

    private static String randomSuffix() {
        int bound = 1 << (4 * NAME_SUFFIX_HEX_DIGITS);
        return String.format("%0" + NAME_SUFFIX_HEX_DIGITS + "x", RANDOM.nextInt(bound));
    }

    public String name() {
        return name;
    }

    /** The namespace's bind-mount file, usable with setns(2) or {@code nsenter --net=}. */
    public Path path() {
        return NETNS_DIR.resolve(name);
    }

    /** Runs a command inside the namespace with {@link Processes#DEFAULT_TIMEOUT}. */
    public ExecResult exec(String... argv) {
        return exec(Processes.DEFAULT_TIMEOUT, argv);
    }

    /**
     * Runs a command inside the namespace and waits for it.
     *
     * @throws CommandFailedException if it cannot start or times out (a non-zero exit is returned, not thrown)
     */
    public ExecResult exec(Duration timeout, String... argv) {
        return Processes.run(inside(List.of(argv)), timeout);
    }

    /**
     * Starts a long-running process inside the namespace. {@code ip netns exec} replaces itself with the command,
     * so the returned Process's PID is the command's own. stdout and stderr are appended to {@code logFile}
     * (discarded if it is {@code null}); stdin is /dev/null. {@link #close()} ends it.
     */
    public synchronized Process spawn(List<String> argv, Path logFile) {
        ensureOpen();
        ProcessBuilder pb = new ProcessBuilder(inside(argv)).redirectInput(new File("/dev/null"));
        if (logFile == null) {
            pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
        } else {
            pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        }
        try {
            Process p = pb.start();
            spawned.add(p);
            return p;
        } catch (IOException e) {
            throw new CommandFailedException("cannot start " + String.join(" ", argv) + " in " + name
                    + ": " + e.getMessage(), e);
        }
    }

    private List<String> inside(List<String> argv) {
        List<String> full = new ArrayList<>(argv.size() + 4);
        full.add("ip");
        full.add("netns");
        full.add("exec");
        full.add(name);
        full.addAll(argv);
        return full;
    }

    /**
     * Runs {@code action} on a new thread that has entered this namespace (setns(2) is per thread) and returns
     * its result. Sockets and TUN devices created by the action live in this namespace and stay there after the
     * thread ends; file descriptors can then be used from any thread.
     */
    public <T> T callInside(Callable<T> action) throws Exception {
        ensureOpen();
        CompletableFuture<T> result = new CompletableFuture<>();
        String nsFile = path().toString();
        Thread t = new Thread(() -> {
            try {
                NamespaceEntry.enterNetworkNamespace(nsFile);
                result.complete(action.call());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        }, "netns-" + name);
        t.setDaemon(true);
        t.start();
        try {
            return result.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception) {
                throw (Exception) cause;
            }
            if (cause instanceof Error) {
                throw (Error) cause;
            }
            throw e;
        } finally {
            t.join();
        }
    }

    /** {@link #callInside(Callable)} for actions without a result. */
    public void runInside(InsideAction action) throws Exception {
        callInside(() -> {
            action.run();
            return null;
        });
    }

    /** An action for {@link #runInside(InsideAction)}; may throw. */
    @FunctionalInterface
    public interface InsideAction {
        void run() throws Exception;
    }

    /** Adds an address to an interface: IPv4 as given, IPv6 (contains ':') with {@code nodad} so it is usable at once. */
    public void addAddress(String ifname, String cidr) {
        if (cidr.contains(":")) {
            ip("-6", "addr", "add", cidr, "dev", ifname, "nodad");
        } else {
            ip("addr", "add", cidr, "dev", ifname);
        }
    }

    /** Sets an interface up. */
    public void linkUp(String ifname) {
        ip("link", "set", "dev", ifname, "up");
    }

    /** Runs {@code ip -n NAME args...} and fails on non-zero exit. */
    public ExecResult ip(String... args) {
        List<String> argv = new ArrayList<>(args.length + 3);
        argv.add("ip");
        argv.add("-n");
        argv.add(name);
        argv.addAll(List.of(args));
        return Processes.run(argv, Processes.DEFAULT_TIMEOUT).requireSuccess();
    }

    /**
     * Creates a veth pair with end {@code ifA} in {@code a} and {@code ifB} in {@code b} (which may be the same
     * namespace) and sets both ends up. The pair disappears with either namespace.
     */
    public static void veth(Netns a, String ifA, Netns b, String ifB) {
        a.ensureOpen();
        b.ensureOpen();
        Processes.run("ip", "link", "add", ifA, "netns", a.name, "type", "veth",
                "peer", "name", ifB, "netns", b.name).requireSuccess();
        a.linkUp(ifA);
        b.linkUp(ifB);
    }

    /** PIDs of every process whose network namespace is this one. */
    public List<Long> pids() {
        ExecResult r = Processes.run("ip", "netns", "pids", name);
        List<Long> pids = new ArrayList<>();
        if (r.succeeded()) {
            for (String s : r.stdout().split("\\s+")) {
                if (!s.isEmpty()) {
                    pids.add(Long.parseLong(s));
                }
            }
        }
        return pids;
    }

    private synchronized void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("namespace " + name + " is closed");
        }
    }

    public synchronized boolean isClosed() {
        return closed;
    }

    /**
     * Ends every spawned process and its descendants (SIGTERM, 5 s, SIGKILL), then any other process still in the
     * namespace, then deletes the namespace. Idempotent.
     *
     * @throws IllegalStateException if a process survived SIGKILL or the namespace could not be deleted (after
     *                               trying everything)
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<String> problems = new ArrayList<>();
        List<Long> roots = new ArrayList<>();
        for (Process p : spawned) {
            roots.add(p.pid());
        }
        List<Long> survivors = new ArrayList<>(Processes.terminateTree(roots));
        if (Files.exists(path())) {
            // Daemons started through exec() that detached themselves are found by namespace membership.
            survivors.addAll(Processes.terminateTree(pids()));
        }
        if (!survivors.isEmpty()) {
            problems.add("processes survived SIGKILL: " + survivors);
        }
        for (Process p : spawned) {
            closeStreams(p);
        }
        if (Files.exists(path())) {
            ExecResult del = Processes.run("ip", "netns", "delete", name);
            if (!del.succeeded()) {
                problems.add("ip netns delete " + name + ": " + del.stderr().strip());
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("cleanup of namespace " + name + " incomplete: " + problems);
        }
    }

    private static void closeStreams(Process p) {
        try {
            p.getInputStream().close();
            p.getErrorStream().close();
            p.getOutputStream().close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return "Netns[" + name + "]";
    }
}
