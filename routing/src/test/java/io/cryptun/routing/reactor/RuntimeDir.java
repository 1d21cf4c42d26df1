package io.cryptun.routing.reactor;

import io.cryptun.routing.Fixtures;
import io.cryptun.routing.NodeId;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A bmx7 runtime directory in a temporary folder, filled with node A's captured json tree and
 * received sms files, which tests then change the way bmx7 does: non-atomically.
 */
final class RuntimeDir implements AutoCloseable {
    final Path root;

    private RuntimeDir(Path root) {
        this.root = root;
    }

    static RuntimeDir fromFixtures() throws IOException {
        RuntimeDir d = new RuntimeDir(Files.createTempDirectory("ctms-bmx7-"));
        copyTree(Fixtures.path("json"), d.root.resolve("json"));
        copyTree(Fixtures.path("sms/rcvdSms"), d.root.resolve("sms/rcvdSms"));
        Files.createDirectories(d.root.resolve("sms/sendSms"));
        return d;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    Path sms(NodeId id) {
        return root.resolve("sms/rcvdSms/" + id + ":cryptun");
    }

    Path description(NodeId id) {
        return root.resolve("json/descriptions/" + id);
    }

    Path originator(NodeId id) {
        return root.resolve("json/originators/" + id);
    }

    Path sendSms() {
        return root.resolve("sms/sendSms/cryptun");
    }

    byte[] smsBytes(NodeId id) {
        try {
            return Files.readAllBytes(sms(id));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void deleteSms(NodeId id) throws IOException {
        Files.deleteIfExists(sms(id));
    }

    /** What bmx7's sms plugin does: open(O_CREAT|O_TRUNC), then write. */
    void createEmptySms(NodeId id) throws IOException {
        Files.write(sms(id), new byte[0]);
    }

    void writeSms(NodeId id, byte[] content) throws IOException {
        try (OutputStream out = Files.newOutputStream(sms(id))) {
            out.write(content);
        }
    }

    void writeSms(NodeId id, String content) throws IOException {
        writeSms(id, content.getBytes(StandardCharsets.US_ASCII));
    }

    String descriptionText(NodeId id) throws IOException {
        return Files.readString(description(id));
    }

    void writeDescription(NodeId id, String json) throws IOException {
        Files.writeString(description(id), json);
    }

    /** bmx7 dropping a node: its description, originator and sms files go. */
    void removeNode(NodeId id) throws IOException {
        Files.deleteIfExists(description(id));
        Files.deleteIfExists(originator(id));
        Files.deleteIfExists(sms(id));
    }

    @Override
    public void close() throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
