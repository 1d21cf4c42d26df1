package io.cryptun.routing.reactor;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;

/**
 * Keeps this node's record in bmx7's {@code sms/sendSms/<name>}. bmx7 watches that directory and
 * re-reads a file on any change, so the record is replaced atomically (a temporary file in the
 * same directory, then a rename) and only when its content differs: bmx7 never reads it half
 * written, and an unchanged record causes no new description.
 */
final class RecordPublisher {
    private final Path dir;
    private final Path file;
    private final Path temp;

    RecordPublisher(Path sendSmsDir, String name) {
        this.dir = sendSmsDir;
        this.file = sendSmsDir.resolve(name);
        // a name bmx7 never publishes: not listed in syncSms (a leading '.' is not even a valid sms name)
        this.temp = sendSmsDir.resolve("." + name + ".tmp");
    }

    Path file() {
        return file;
    }

    /**
     * Makes the file hold exactly {@code content}.
     *
     * @return true when it was written now, false when it already held that content
     * @throws NoSuchFileException when bmx7's sendSms directory does not exist (bmx7 or its sms plugin not started)
     */
    boolean publish(byte[] content) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "bmx7's sendSms directory does not exist");
        }
        if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            byte[] now = Files.readAllBytes(file);
            if (Arrays.equals(now, content)) {
                return false;
            }
        }
        Files.write(temp, content);
        try {
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        return true;
    }

    /** Removes the file; true when there was one. */
    boolean retract() throws IOException {
        Files.deleteIfExists(temp);
        return Files.deleteIfExists(file);
    }
}
