package io.cryptun.cli.it;

import io.cryptun.testkit.Netns;
import io.cryptun.testkit.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A ping running in the background inside a namespace (its output in a log file), and what it
 * saw: which echo requests were answered, which were lost, and the round-trip times.
 */
final class PingRun {
    private static final Pattern REPLY = Pattern.compile("icmp_seq=(\\d+) .*time=([0-9.]+) ms");
    private static final Pattern SUMMARY = Pattern.compile("(\\d+) packets transmitted, (\\d+) received");

    private final Process process;
    private final Path log;

    /** What one ping run saw. {@code lost} lists the sequence numbers never answered. */
    record Result(int transmitted, int received, List<Integer> lost, List<Double> rttMillis, String output) {
        int lostCount() {
            return transmitted - received;
        }

        double maxRttMillis() {
            return rttMillis.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
        }

        String summary() {
            return transmitted + " sent, " + received + " answered, lost seqs " + lost
                    + ", max rtt " + String.format("%.1f", maxRttMillis()) + " ms";
        }
    }

    private PingRun(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts {@code ping -n ARGS} in {@code ns}, its output going to {@code log}. */
    static PingRun start(Netns ns, Path log, String... args) {
        List<String> cmd = new ArrayList<>(List.of("ping", "-n"));
        cmd.addAll(List.of(args));
        return new PingRun(ns.spawn(cmd, log), log);
    }

    /** Runs {@code ping -n ARGS} in {@code ns} to completion. */
    static Result run(Netns ns, Path log, Duration timeout, String... args) throws Exception {
        return start(ns, log, args).await(timeout);
    }

    /** Waits up to {@code timeout} for ping to end, leaving it running if it has not. */
    boolean waitFor(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Ends a ping started without a count as Ctrl-C does (SIGINT), so it prints its summary
     * ({@link #stop} may end it before it does); {@link #await} then reads the result.
     */
    void interrupt() throws IOException, InterruptedException {
        List<Long> pids = new ArrayList<>(Processes.descendantsOf(process.pid()));
        pids.add(process.pid());
        for (long pid : pids) {
            new ProcessBuilder("kill", "-INT", Long.toString(pid)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        }
    }

    /** Ends ping now (SIGTERM makes it print its summary). */
    void stop() {
        Processes.terminateTree(List.of(process.pid()));
    }

    /** Waits for ping to end (killing it at the timeout) and parses what it printed. */
    Result await(Duration timeout) throws InterruptedException, IOException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            Processes.terminateTree(List.of(process.pid()));
            throw new AssertionError("ping did not finish within " + timeout + ":\n" + Files.readString(log));
        }
        return parse(Files.readString(log));
    }

    static Result parse(String out) {
        TreeSet<Integer> answered = new TreeSet<>();
        List<Double> rtts = new ArrayList<>();
        Matcher m = REPLY.matcher(out);
        while (m.find()) {
            answered.add(Integer.parseInt(m.group(1)));
            rtts.add(Double.parseDouble(m.group(2)));
        }
        Matcher s = SUMMARY.matcher(out);
        if (!s.find()) {
            throw new AssertionError("no ping summary in:\n" + out);
        }
        int transmitted = Integer.parseInt(s.group(1));
        int received = Integer.parseInt(s.group(2));
        List<Integer> lost = new ArrayList<>();
        for (int seq = 1; seq <= transmitted; seq++) {
            if (!answered.contains(seq)) {
                lost.add(seq);
            }
        }
        return new Result(transmitted, received, lost, rtts, out);
    }
}
