package io.cryptun.cli.demo;

import io.cryptun.cli.process.ExternalCommand.Outcome;
import io.cryptun.cli.process.ExternalCommand;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Runs commands for the demo, optionally inside a network namespace, with a timeout. */
final class Sh {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private Sh() {
    }

    /** Runs {@code argv}, inside {@code ns} unless it is null; a command that cannot run or hangs fails with its reason as output. */
    static Outcome run(String ns, String... argv) {
        List<String> cmd = new ArrayList<>();
        if (ns != null) {
            cmd.addAll(List.of("ip", "netns", "exec", ns));
        }
        cmd.addAll(List.of(argv));
        try {
            return ExternalCommand.run(cmd, TIMEOUT);
        } catch (IOException e) {
            return new Outcome(cmd, -1, e.getMessage());
        }
    }

    static Outcome must(String ns, String... argv) {
        Outcome r = run(ns, argv);
        if (!r.ok()) {
            throw new IllegalStateException(String.join(" ", argv) + ": " + r.output().trim());
        }
        return r;
    }

    /** Starts a background process inside {@code ns}; `ip netns exec` execs, so the PID is the program's. */
    static Process spawn(String ns, Path log, String... argv) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(List.of(argv));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    static boolean onPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (Path.of(dir, name).toFile().canExecute()) {
                return true;
            }
        }
        return false;
    }
}
