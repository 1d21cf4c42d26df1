package io.cryptun.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rig's memory breakdown (benchmarks/rig/rss-by-kind.py), run on an idle JVM with the daemon's
 * heap options: the JVM's kinds are found and the parts add up to the process's resident memory.
 */
class RssByKindTest {

    @Test
    void aDaemonLikeJvmsResidentMemoryIsSplitIntoItsKinds(@TempDir Path dir) throws Exception {
        Path script = Path.of("rig", "rss-by-kind.py").toAbsolutePath();
        assumeTrue(Files.isRegularFile(script), "run from the benchmarks module: " + script);
        assumeTrue(onPath("python3"), "python3 is not installed (the rig needs it; apt-get install python3)");
        // a JVM with the launcher's heap: 8 MB of it committed and touched at start
        Path idle = dir.resolve("Idle.java");
        Files.writeString(idle, "public class Idle { public static void main(String[] a) throws Exception {"
                + " System.out.println(\"ready\"); System.out.flush(); Thread.sleep(60_000); } }");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process jvm = new ProcessBuilder(java, "-XX:+UseSerialGC", "-Xms8m", "-Xmx256m", "-XX:+AlwaysPreTouch", idle.toString())
                .redirectErrorStream(true).start();
        try {
            BufferedReader lines = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("ready", lines.readLine(), "the idle JVM started");
            long pid = jvm.pid();

            Process p = new ProcessBuilder("python3", script.toString(), Long.toString(pid)).redirectErrorStream(true).start();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the script ends");
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            assertEquals(0, p.exitValue(), out);
            long vmRssKb = statusKb(pid, "VmRSS");

            Map<String, Double> mb = new HashMap<>();
            for (String part : out.split(" ")) {
                String[] kv = part.split("=", 2);
                mb.put(kv[0], Double.parseDouble(kv[1]));
            }
            assertTrue(mb.getOrDefault("libjvm", 0.0) > 1, "libjvm's pages are a kind of their own: " + out);
            assertTrue(mb.getOrDefault("java-heap", 0.0) >= 7.5, "the touched 8 MB of Java heap are found: " + out);
            assertTrue(mb.getOrDefault("code-cache", 0.0) > 0, "the JIT's code is found: " + out);
            double sum = mb.entrySet().stream().filter(e -> !e.getKey().equals("total")).mapToDouble(Map.Entry::getValue).sum();
            assertEquals(mb.get("total"), sum, 0.1 * mb.size(), "the kinds add up to the total: " + out);
            assertEquals(vmRssKb / 1024.0, mb.get("total"), 1.0, "the total is the process's resident memory (VmRSS " + vmRssKb + " kB): " + out);
        } finally {
            jvm.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    private static long statusKb(long pid, String key) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(key + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException(key + " not in /proc/" + pid + "/status");
    }
}
