package io.cryptun.cli.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs commands for the demo, optionally inside a network namespace, with a timeout. */
final class Sh {
    record Result(int code, String out) {
        boolean ok() {
            return code == 0;
        }
    }

    private Sh() {
    }

    static Result run(String ns, String... argv) {
        List<String> cmd = new ArrayList<>();
        if (ns != null) {
            cmd.addAll(List.of("ip", "netns", "exec", ns));
        }
        cmd.addAll(List.of(argv));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out: " + String.join(" ", cmd));
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(-1, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }

    static Result must(String ns, String... argv) {
        Result r = run(ns, argv);
        if (!r.ok()) {
            throw new IllegalStateException(String.join(" ", argv) + ": " + r.out().trim());
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
