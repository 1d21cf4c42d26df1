package io.cryptun.cli.it;

import io.cryptun.testkit.Netns;
import io.cryptun.testkit.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * tcpdump on one interface of a namespace, printing one line per packet with its Unix time, into
 * a file the test reads when it stops the capture. Ended by PID.
 */
final class Capture implements AutoCloseable {
    private final Process process;
    private final Path log;
    private boolean stopped;

    private Capture(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts capturing on {@code ifname} with a pcap filter; returns once tcpdump listens. */
    static Capture start(Netns ns, String ifname, Path log, String... filter) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("tcpdump", "-n", "-l", "--immediate-mode", "-tt", "-i", ifname));
        cmd.addAll(List.of(filter));
        Capture c = new Capture(ns.spawn(cmd, log), log);
        try {
            awaitListening(c.process, log);
        } catch (IllegalStateException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** Waits (at most 10 s) until tcpdump, writing its messages to {@code log}, says it listens. */
    static void awaitListening(Process tcpdump, Path log) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!(Files.exists(log) && Files.readString(log).contains("listening on"))) {
            if (!tcpdump.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("tcpdump did not start: " + (Files.exists(log) ? Files.readString(log) : ""));
            }
            Thread.sleep(20);
        }
    }

    /** Stops the capture and returns the packet lines. */
    List<String> stop() throws IOException, InterruptedException {
        close();
        List<String> packets = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            if (line.matches("^\\d+\\.\\d+ .*")) {
                packets.add(line);
            }
        }
        return packets;
    }

    @Override
    public void close() throws InterruptedException {
        if (!stopped) {
            stopped = true;
            // SIGTERM: tcpdump flushes what it captured and exits
            Processes.terminateTree(List.of(process.pid()));
        }
    }
}
