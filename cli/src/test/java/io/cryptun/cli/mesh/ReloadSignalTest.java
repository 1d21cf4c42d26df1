package io.cryptun.cli.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * SIGHUP reloads, and keeps the process alive, also where the process was started with SIGHUP
 * ignored (nohup, a supervisor that ignores it): the JVM itself installs no handler for a signal
 * that was ignored at start, and `kill -HUP` then did nothing at all (found when a test run started
 * under nohup waited for a reload that never came).
 */
class ReloadSignalTest {

    @Test
    @Timeout(60)
    void aHangupReloadsInAPlainProcess() throws Exception {
        hangupsReload("exec \"$@\"");
    }

    @Test
    @Timeout(60)
    void aHangupReloadsWhereTheProcessStartedWithItIgnored() throws Exception {
        // the shell's empty trap is SIG_IGN, which exec keeps, as nohup's does
        hangupsReload("trap '' HUP; exec \"$@\"");
    }

    private static void hangupsReload(String shell) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(List.of("sh", "-c", shell, "sh", java, "-cp", System.getProperty("java.class.path"),
                ReloadSignalProbe.class.getName())).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("installed true", nextLine(out), "the handler is in place");
            for (int i = 1; i <= 2; i++) {
                assertEquals(0, new ProcessBuilder("kill", "-HUP", Long.toString(p.pid())).inheritIO().start().waitFor());
                assertEquals("reloaded " + i, nextLine(out), "SIGHUP " + i + " reloads");
            }
            assertTrue(p.isAlive(), "and ends nothing");
        } finally {
            p.getOutputStream().close();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    /** The next line that is not the JVM's own warning (JDK 24+ warns about restricted methods). */
    private static String nextLine(BufferedReader out) throws java.io.IOException {
        String line;
        do {
            line = out.readLine();
        } while (line != null && line.startsWith("WARNING"));
        return line;
    }
}
