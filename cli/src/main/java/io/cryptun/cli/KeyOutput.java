package io.cryptun.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/** wg's warning when a key is written to a world-accessible file. */
final class KeyOutput {
    private KeyOutput() {
    }

    static void warnIfStdoutWorldAccessible() {
        Path stdout = Path.of("/proc/self/fd/1");
        try {
            Path target = stdout.toRealPath();
            if (!Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(target);
            if (perms.contains(PosixFilePermission.OTHERS_READ) || perms.contains(PosixFilePermission.OTHERS_WRITE)
                    || perms.contains(PosixFilePermission.OTHERS_EXECUTE)) {
                System.err.println("Warning: writing to world accessible file.");
                System.err.println("Consider setting the umask to 077 and trying again.");
            }
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            // not a file we can inspect (a pipe, a terminal): nothing to warn about
        }
    }
}
