package io.cryptun.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

class ProcessesTest {

    @Test
    void findsShellButNotNonsense() {
        Path sh = Processes.findOnPath("sh").orElseThrow();
        assertTrue(Files.isExecutable(sh));
        assertTrue(Processes.findOnPath("cryptun-no-such-binary-x7").isEmpty());
    }

    @Test
    void runCapturesExitCodeAndBothStreams() {
        ExecResult r = Processes.run("sh", "-c", "echo out; echo err >&2; exit 3");
        assertEquals(3, r.exitCode());
        assertEquals("out\n", r.stdout());
        assertEquals("err\n", r.stderr());
        assertFalse(r.succeeded());
        CommandFailedException e = assertThrows(CommandFailedException.class, r::requireSuccess);
        assertTrue(e.getMessage().contains("exited with 3"), e.getMessage());
        assertTrue(e.getMessage().contains("out"), e.getMessage());
        assertTrue(e.getMessage().contains("err"), e.getMessage());
    }

    @Test
    void runDoesNotWaitForBackgroundChildrenHoldingTheOutput() {
        // The child keeps stdout open for 30 s; run() must return when sh exits.
        ExecResult r = Processes.run(List.of("sh", "-c", "sleep 30 & echo $!"), Duration.ofSeconds(20));
        long child = Long.parseLong(r.stdout().strip());
        try {
            assertEquals(0, r.exitCode());
        } finally {
            assertTrue(Processes.terminateTree(List.of(child)).isEmpty());
        }
        assertFalse(Processes.running(child));
    }

    @Test
    void timeoutKillsTheCommandAndItsChildren() throws Exception {
        Path pidFile = Files.createTempFile("testkit-pid", ".txt");
        try {
            CommandFailedException e = assertThrows(CommandFailedException.class,
                    () -> Processes.run(List.of("sh", "-c", "sleep 60 & echo $! > " + pidFile + "; wait"),
                            Duration.ofMillis(700)));
            assertTrue(e.getMessage().contains("timed out"), e.getMessage());
            long child = Long.parseLong(Files.readString(pidFile).strip());
            assertFalse(Processes.running(child),
                    "background child " + child + " survived the timeout");
        } finally {
            Files.deleteIfExists(pidFile);
        }
    }

    @Test
    void descendantsAreFoundThroughProc() throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "sleep 60 & sleep 60 & wait").start();
        try {
            List<Long> found = List.of();
            for (int i = 0; i < 200 && found.size() < 2; i++) {
                Thread.sleep(10);
                found = Processes.descendantsOf(p.pid());
            }
            assertEquals(2, found.size(), "descendants of " + p.pid() + ": " + found);
            List<Long> survivors = Processes.terminateTree(List.of(p.pid()));
            assertTrue(survivors.isEmpty());
            for (long pid : found) {
                assertFalse(Processes.running(pid));
            }
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void terminateTreeNeverKillsThisJvm() {
        assertTrue(Processes.terminateTree(List.of(ProcessHandle.current().pid())).isEmpty());
        assertTrue(ProcessHandle.current().isAlive());
    }
}
