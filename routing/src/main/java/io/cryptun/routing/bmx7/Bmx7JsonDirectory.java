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
import java.util.Collections;
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

    public Snapshot read() throws IOException {
        Map<String, String> unreadable = new TreeMap<>();
        Map<NodeId, Bmx7Description> descriptions = new TreeMap<>();
        for (Map.Entry<NodeId, String> e : readNodeFiles("descriptions", unreadable).entrySet()) {
            try {
                descriptions.put(e.getKey(), JsonDescriptions.parse(e.getKey(), e.getValue()));
            } catch (IllegalArgumentException ex) {
                unreadable.put("descriptions/" + e.getKey(), ex.getMessage());
            }
        }
        Map<NodeId, Originator> originators = new TreeMap<>();
        for (Map.Entry<NodeId, String> e : readNodeFiles("originators", unreadable).entrySet()) {
            try {
                Originator o = Originator.fromJsonText(e.getValue());
                if (!o.nodeId().equals(e.getKey())) {
                    throw new IllegalArgumentException("file names " + e.getKey().shortId() + " but holds " + o.nodeId().shortId());
                }
                originators.put(e.getKey(), o);
            } catch (IllegalArgumentException ex) {
                unreadable.put("originators/" + e.getKey(), ex.getMessage());
            }
        }
        NodeId self = null;
        String status = readFile(dir.resolve("status"), "status", unreadable);
        if (status != null) {
            try {
                Map<String, Object> st = JsonAccess.object(Json.parseObject(status).get("status"), "status");
                self = NodeId.parse(JsonAccess.text(st, "nodeId"));
            } catch (IllegalArgumentException ex) {
                unreadable.put("status", ex.getMessage());
            }
        }
        Bmx7Options parameters = null;
        String params = readFile(dir.resolve("parameters"), "parameters", unreadable);
        if (params != null) {
            try {
                parameters = Bmx7Options.parse(params);
            } catch (IllegalArgumentException ex) {
                unreadable.put("parameters", ex.getMessage());
            }
        }
        return new Snapshot(Collections.unmodifiableMap(descriptions), Collections.unmodifiableMap(originators), self,
                parameters, Collections.unmodifiableMap(unreadable));
    }

    private Map<NodeId, String> readNodeFiles(String sub, Map<String, String> unreadable) throws IOException {
        Map<NodeId, String> out = new TreeMap<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir.resolve(sub))) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (!NodeId.isNodeIdText(name)) {
                    continue;
                }
                String text = readFile(p, sub + "/" + name, unreadable);
                if (text != null) {
                    out.put(NodeId.parse(name), text);
                }
            }
        } catch (NoSuchFileException | NotDirectoryException e) {
            unreadable.put(sub, "directory missing");
        }
        return out;
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
