package io.cryptun.cli.process;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** JOURNAL_STREAM names the stream by device and inode: only that stream counts as the journal. */
class JournalStreamTest {

    @Test
    void theNamedFileMatchesAnyOtherDoesNot(@TempDir Path dir) throws Exception {
        Path stream = Files.createFile(dir.resolve("stream"));
        Path other = Files.createFile(dir.resolve("other"));
        String named = Files.getAttribute(stream, "unix:dev") + ":" + Files.getAttribute(stream, "unix:ino");
        assertTrue(JournalStream.matches(named, stream));
        assertFalse(JournalStream.matches(named, other));
    }

    @Test
    void unsetOrMalformedIsNotTheJournal(@TempDir Path dir) throws Exception {
        Path stream = Files.createFile(dir.resolve("stream"));
        assertFalse(JournalStream.matches(null, stream));
        assertFalse(JournalStream.matches("", stream));
        assertFalse(JournalStream.matches("12", stream));
        assertFalse(JournalStream.matches("a:b", stream));
    }
}
