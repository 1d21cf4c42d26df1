package io.cryptun.cli.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs another program to its end within a time limit and keeps its exit code and its output
 * (standard error merged in, where {@code ip} and the demo's tools write why they failed): iproute2's
 * {@code ip}, as wg-quick does, for addresses, MTU, link state, routes and rules, and the demo's
 * commands.
 */
public final class ExternalCommand {
    /** How long an {@code ip} command may take; it answers in milliseconds unless the kernel hangs. */
    private static final Duration IP_TIMEOUT = Duration.ofSeconds(30);

    /** What a finished command did. */
    public record Outcome(List<String> command, int exitCode, String output) {
        public boolean ok() {
            return exitCode == 0;
        }

        /** The command and its own error text, the message for its failure. */
        public String failure() {
            return String.join(" ", command) + ": " + output.trim();
        }
    }

    private ExternalCommand() {
    }

    /** Runs iproute2's {@code ip ARGS...}; IOException when it cannot start, hangs or the wait is interrupted. */
    public static Outcome ip(String... args) throws IOException {
        List<String> command = new ArrayList<>(args.length + 1);
        command.add("ip");
        command.addAll(List.of(args));
        return run(command, IP_TIMEOUT, "ip (install iproute2)");
    }

    /** As {@link #ip}, and a non-zero exit is an IOException too, its message {@link Outcome#failure()}. */
    public static void ipOrThrow(String... args) throws IOException {
        Outcome o = ip(args);
        if (!o.ok()) {
            throw new IOException(o.failure());
        }
    }

    /**
     * Runs {@code command} and waits for it at most {@code timeout}. IOException, its message naming
     * the command, when it cannot start, is still running at the timeout (it is then killed) or the
     * wait is interrupted (killed too, and the interrupt flag kept).
     */
    public static Outcome run(List<String> command, Duration timeout) throws IOException {
        return run(command, timeout, command.get(0));
    }

    private static Outcome run(List<String> command, Duration timeout, String programForErrors) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException("cannot run " + programForErrors + ": " + e.getMessage(), e);
        }
        try {
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + ": timed out");
            }
            return new Outcome(List.copyOf(command), p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException(String.join(" ", command) + ": interrupted", e);
        }
    }
}
