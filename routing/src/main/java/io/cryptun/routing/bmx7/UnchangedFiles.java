package io.cryptun.routing.bmx7;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What was made of files (read and parsed), kept while each file stays the same file (inode),
 * size and modification time. bmx7 rewrites a node's files on every change of that node, and the
 * json plugin some of them every second: a reader that parses only what changed costs an idle
 * mesh node a {@code stat} per file instead of a parse. A file rewritten in place within one
 * timestamp tick to the same size would look unchanged, so callers also {@link #clear} now and
 * then.
 *
 * @param <T> what a file is made into
 */
final class UnchangedFiles<T> {
    private record Entry<T>(Object fileKey, long size, long modifiedNanos, T value) {
    }

    private final Map<Path, Entry<T>> entries = new HashMap<>();

    /** A file's attributes now, or null when it is not a regular file (missing, a directory, a link). */
    static BasicFileAttributes attributes(Path p) throws IOException {
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return a.isRegularFile() ? a : null;
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** What was made of {@code p} when it had these attributes, or null when it changed (or is new). */
    T get(Path p, BasicFileAttributes now) {
        Entry<T> e = entries.get(p);
        if (e == null || now == null || e.size != now.size() || e.modifiedNanos != nanos(now)
                || !Objects.equals(e.fileKey, now.fileKey())) {
            return null;
        }
        return e.value;
    }

    /** Remembers what was made of {@code p}, read after its attributes were {@code before}. */
    void put(Path p, BasicFileAttributes before, T value) {
        entries.put(p, new Entry<>(before.fileKey(), before.size(), nanos(before), value));
    }

    /** Forgets files no longer present. */
    void retainAll(Set<Path> present) {
        entries.keySet().retainAll(present);
    }

    void clear() {
        entries.clear();
    }

    private static long nanos(BasicFileAttributes a) {
        return a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS);
    }
}
