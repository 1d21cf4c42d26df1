package io.cryptun.routing.bmx7;

import io.cryptun.routing.NodeId;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads the json plugin's tree ({@code <runtimeDir>/json/}): {@code descriptions/<NODEID>},
 * {@code originators/<NODEID>}, {@code status} and {@code parameters}. Files are rewritten in
 * place and non-atomically, so a file that is missing, empty or cut short is reported in
 * {@link Snapshot#unreadable()} instead of failing the read; {@link GraceCache} bridges such gaps.
 */
public final class Bmx7JsonDirectory {
    /** Larger files are not json plugin output; refuse them rather than read them whole. */
    public static final int MAX_FILE_BYTES = 1 << 20;

    private final Path dir;

    public Bmx7JsonDirectory(Path jsonDir) {
        this.dir = jsonDir;
    }

    /**
     * @param descriptions readable descriptions by node id
     * @param originators  readable originators by node id
     * @param self         this node's id from {@code status}, or null when unreadable
     * @param parameters   the current configuration, or null when unreadable
     * @param unreadable   file (relative path) to why it could not be used this time
     */
    public record Snapshot(Map<NodeId, Bmx7Description> descriptions, Map<NodeId, Originator> originators, NodeId self,
                           Bmx7Options parameters, Map<String, String> unreadable) {
    }

    /** A file made into a value, or why it could not be (this time). */
    private record Parsed<T>(T value, String problem) {
    }

    /** Every this many readings, every file is read again, whatever its attributes say. */
    static final int FULL_READ_EVERY = 20;

    private final UnchangedFiles<Parsed<Bmx7Description>> descriptionFiles = new UnchangedFiles<>();
    private final UnchangedFiles<Parsed<Originator>> originatorFiles = new UnchangedFiles<>();
    private final UnchangedFiles<Parsed<NodeId>> statusFile = new UnchangedFiles<>();
    private final UnchangedFiles<Parsed<Bmx7Options>> parametersFile = new UnchangedFiles<>();
    private int readings;

    /**
     * The tree as it is now. Files that did not change since the last reading (same inode, size
     * and modification time) are not read again: an idle mesh costs a {@code stat} per file.
     */
    public Snapshot read() throws IOException {
        if (readings++ % FULL_READ_EVERY == 0) {
            descriptionFiles.clear();
            originatorFiles.clear();
            statusFile.clear();
            parametersFile.clear();
        }
        Map<String, String> unreadable = new TreeMap<>();
        Map<NodeId, Bmx7Description> descriptions = readNodeFiles("descriptions", descriptionFiles, unreadable,
                (id, text) -> JsonDescriptions.parse(id, text));
        Map<NodeId, Originator> originators = readNodeFiles("originators", originatorFiles, unreadable, (id, text) -> {
            Originator o = Originator.fromJsonText(text);
            if (!o.nodeId().equals(id)) {
                throw new IllegalArgumentException("file names " + id.shortId() + " but holds " + o.nodeId().shortId());
            }
            return o;
        });
        NodeId self = readOne("status", statusFile, unreadable, text -> {
            Map<String, Object> st = JsonAccess.object(JsonReader.parseObject(text).get("status"), "status");
            return NodeId.parse(JsonAccess.text(st, "nodeId"));
        });
        Bmx7Options parameters = readOne("parameters", parametersFile, unreadable, Bmx7Options::parse);
        return new Snapshot(Collections.unmodifiableMap(descriptions), Collections.unmodifiableMap(originators), self,
                parameters, Collections.unmodifiableMap(unreadable));
    }

    @FunctionalInterface
    private interface NodeFileParser<T> {
        T parse(NodeId id, String text);
    }

    private <T> Map<NodeId, T> readNodeFiles(String sub, UnchangedFiles<Parsed<T>> cache, Map<String, String> unreadable,
                                             NodeFileParser<T> parser) throws IOException {
        Map<NodeId, T> out = new TreeMap<>();
        Set<Path> present = new HashSet<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir.resolve(sub))) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (!NodeId.isNodeIdText(name)) {
                    continue;
                }
                present.add(p);
                NodeId id = NodeId.parse(name);
                Parsed<T> r = readCached(p, cache, text -> parser.parse(id, text));
                if (r.value() != null) {
                    out.put(id, r.value());
                } else {
                    unreadable.put(sub + "/" + name, r.problem());
                }
            }
        } catch (NoSuchFileException | NotDirectoryException e) {
            unreadable.put(sub, "directory missing");
        }
        cache.retainAll(present);
        return out;
    }

    private <T> T readOne(String name, UnchangedFiles<Parsed<T>> cache, Map<String, String> unreadable,
                          java.util.function.Function<String, T> parser) throws IOException {
        Parsed<T> r = readCached(dir.resolve(name), cache, parser);
        if (r.value() == null) {
            unreadable.put(name, r.problem());
        }
        return r.value();
    }

    private static <T> Parsed<T> readCached(Path p, UnchangedFiles<Parsed<T>> cache,
                                            java.util.function.Function<String, T> parser) throws IOException {
        BasicFileAttributes before = UnchangedFiles.attributes(p);
        if (before == null) {
            return new Parsed<>(null, "missing");
        }
        Parsed<T> known = cache.get(p, before);
        if (known != null) {
            return known;
        }
        Map<String, String> why = new TreeMap<>();
        String text = readFile(p, "f", why);
        Parsed<T> r;
        if (text == null) {
            r = new Parsed<>(null, why.get("f"));
        } else {
            try {
                r = new Parsed<>(parser.apply(text), null);
            } catch (IllegalArgumentException ex) {
                r = new Parsed<>(null, ex.getMessage());
            }
        }
        cache.put(p, before, r);
        return r;
    }

    private static String readFile(Path p, String label, Map<String, String> unreadable) throws IOException {
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            unreadable.put(label, "missing");
            return null;
        }
        byte[] b = RcvdSmsDirectory.readBounded(p, MAX_FILE_BYTES + 1);
        if (b == null) {
            unreadable.put(label, "vanished while reading");
            return null;
        }
        if (b.length > MAX_FILE_BYTES) {
            unreadable.put(label, "larger than " + MAX_FILE_BYTES + " bytes");
            return null;
        }
        if (b.length == 0) {
            unreadable.put(label, "empty");
            return null;
        }
        return new String(b, StandardCharsets.UTF_8);
    }
}
