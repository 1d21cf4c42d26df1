package io.cryptun.cli.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether stderr is connected to the systemd journal: systemd sets JOURNAL_STREAM to the
 * "DEVICE:INODE" of the stream it gave the service, and a process whose stderr is still that
 * stream (not redirected by a shell or by detaching) may prefix lines with sd-daemon priorities.
 */
public final class JournalStream {
    public static final String ENV = "JOURNAL_STREAM";

    private JournalStream() {
    }

    /** True when stderr (fd 2) is the stream named by JOURNAL_STREAM. */
    public static boolean isStderr() {
        return matches(System.getenv(ENV), Path.of("/proc/self/fd/2"));
    }

    /** Whether {@code journalStream} ("DEV:INO", decimal) names the file {@code fd} points to. */
    static boolean matches(String journalStream, Path fd) {
        if (journalStream == null) {
            return false;
        }
        int colon = journalStream.indexOf(':');
        if (colon < 0) {
            return false;
        }
        try {
            long dev = Long.parseLong(journalStream.substring(0, colon));
            long ino = Long.parseLong(journalStream.substring(colon + 1));
            // stat(2) through the /proc link reaches the socket's own inode
            Object d = Files.getAttribute(fd, "unix:dev");
            Object i = Files.getAttribute(fd, "unix:ino");
            return ((Number) d).longValue() == dev && ((Number) i).longValue() == ino;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }
}
