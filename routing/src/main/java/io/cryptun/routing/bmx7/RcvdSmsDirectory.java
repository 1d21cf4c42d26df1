package io.cryptun.routing.bmx7;

import io.cryptun.routing.CryptunRecord;
import io.cryptun.routing.NodeId;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads bmx7's {@code <runtimeDir>/sms/rcvdSms/} directory: one file {@code <NODEID>:<NAME>} per
 * node and sms name. Files may vanish between listing and reading, and may be caught half-written;
 * this class only reads (bounded), and {@link ReceivedRecords} judges the bytes.
 */
public final class RcvdSmsDirectory {
    public static final String DEFAULT_SMS_NAME = "cryptun";

    private final Path dir;
    private final String smsName;
    private final UnchangedFiles<byte[]> files = new UnchangedFiles<>();
    private int readings;

    public RcvdSmsDirectory(Path dir, String smsName) {
        this.dir = dir;
        if (!Bmx7Limits.isValidName(smsName, Bmx7Limits.MAX_SMS_NAME_LENGTH)) {
            throw new IllegalArgumentException("'" + smsName + "' is not a valid sms name");
        }
        this.smsName = smsName;
    }

    /**
     * The current files of that sms name, by node id. A missing directory gives an empty map.
     * Reads at most {@link CryptunRecord#MAX_BYTES} + 1 bytes per file, enough to tell oversized ones.
     */
    public Map<NodeId, byte[]> read() throws IOException {
        if (readings++ % Bmx7JsonDirectory.FULL_READ_EVERY == 0) {
            files.clear();
        }
        Map<NodeId, byte[]> out = new TreeMap<>();
        java.util.Set<Path> present = new java.util.HashSet<>();
        String suffix = ":" + smsName;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (!name.endsWith(suffix) || name.length() != NodeId.HEX_LENGTH + suffix.length()) {
                    continue;
                }
                String id = name.substring(0, NodeId.HEX_LENGTH);
                java.nio.file.attribute.BasicFileAttributes before;
                if (!NodeId.isNodeIdText(id) || (before = UnchangedFiles.attributes(p)) == null) {
                    continue;
                }
                present.add(p);
                // an unchanged file (same inode, size and time) is not read again
                byte[] content = files.get(p, before);
                if (content == null) {
                    content = readBounded(p, CryptunRecord.MAX_BYTES + 1);
                    if (content == null) {
                        continue;
                    }
                    files.put(p, before, content);
                }
                out.put(NodeId.parse(id), content);
            }
        } catch (NoSuchFileException | NotDirectoryException e) {
            files.clear();
            return Map.of();
        }
        files.retainAll(present);
        return Collections.unmodifiableMap(out);
    }

    /** Up to {@code limit} bytes of the file, or null when it vanished. */
    static byte[] readBounded(Path p, int limit) throws IOException {
        try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
            return in.readNBytes(limit);
        } catch (NoSuchFileException e) {
            return null;
        }
    }
}
