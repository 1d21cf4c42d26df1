package io.cryptun.routing.bmx7;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.cryptun.routing.Fixtures;
import io.cryptun.routing.NodeId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzzes the readers of what the local bmx7 daemon produces: its json plugin's files and its
 * control socket's replies. bmx7 is trusted less than it looks: descriptions carry text chosen by
 * every other node in the mesh, and files are read while bmx7 rewrites them. Each reader must give
 * a value or an {@link IllegalArgumentException} (its documented error) with a one-line message,
 * nothing else, and no input may take the JSON reader's stack past its depth limit.
 */
class Bmx7ParsersFuzzTest {
    private static final NodeId[] IDS = {
        Fixtures.id(Fixtures.A), Fixtures.id(Fixtures.B), Fixtures.id(Fixtures.C), Fixtures.id(Fixtures.D)};

    /** JSON as a whole, and the readers built on it: options, originators, tunnels. */
    @MethodSource("jsonSeeds")
    @FuzzTest(maxDuration = "30s")
    void json(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        refusedOr(() -> JsonReader.parse(text));
        refusedOr(() -> Bmx7Options.parse(text));
        refusedOr(() -> Originator.fromJshow(text));
        refusedOr(() -> Originator.fromJsonText(text));
        refusedOr(() -> TunnelRow.fromJshow(text));
    }

    /** A descriptions/NODEID file: the first input byte picks the node id from the file name. */
    @MethodSource("descriptionSeeds")
    @FuzzTest(maxDuration = "30s")
    void jsonDescription(byte[] input) {
        if (input.length == 0) {
            return;
        }
        NodeId id = IDS[(input[0] & 0xff) % IDS.length];
        String text = new String(input, 1, input.length - 1, StandardCharsets.UTF_8);
        Bmx7Description d = refusedOr(() -> JsonDescriptions.parse(id, text));
        if (d != null) {
            assertEquals(id, d.nodeId(), "a description is accepted only for the id its key hashes to");
        }
    }

    /** The control socket's descriptions reply. */
    @MethodSource("descriptionsTextSeeds")
    @FuzzTest(maxDuration = "30s")
    void descriptionsText(byte[] input) {
        String text = new String(input, StandardCharsets.ISO_8859_1);
        List<Bmx7Description> l = refusedOr(() -> DescriptionsText.parse(text));
        if (l != null) {
            for (Bmx7Description d : l) {
                assertNotNull(d.nodeId());
            }
        }
    }

    /** A status table from the control socket, and the rows read from it. */
    @MethodSource("tableSeeds")
    @FuzzTest(maxDuration = "30s")
    void table(byte[] input) {
        String text = new String(input, StandardCharsets.ISO_8859_1);
        Bmx7Table t = refusedOr(() -> Bmx7Table.parse(text));
        if (t != null) {
            for (var row : t.rows()) {
                assertEquals(t.columns().size(), row.size());
            }
            refusedOr(() -> Originator.fromTable(t));
            refusedOr(() -> TunnelRow.fromTable(t));
        }
        Bmx7Reply reply = new Bmx7Reply(input);
        reply.isSuccess();
        reply.errorLines();
    }

    /** Found by fuzzing: two columns of one name made rows lose a field silently. */
    @Test
    void aHeaderThatRepeatsAColumnNameIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Bmx7Table.parse("INTERFACES:\ndev linkKey linkKey\nvA0 a b\n"));
        assertEquals("INTERFACES header repeats a column name", e.getMessage());
    }

    @Test
    void deepNestingIsRefusedNotAStackOverflow() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JsonReader.parse(deep));
        assertTrue(e.getMessage().contains("nested too deeply"), e.getMessage());
        assertEquals(List.of(List.of()), JsonReader.parse("[[]]"));
    }

    interface Parse<T> {
        T run();
    }

    /** The parser's value, or null when it refused the input with a well-formed IllegalArgumentException. */
    private static <T> T refusedOr(Parse<T> p) {
        try {
            return p.run();
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            assertTrue(m != null && !m.isEmpty(), "an error says what is wrong");
            return null;
        }
    }

    // ================================================================ seeds from the captured fixtures

    static Stream<Arguments> jsonSeeds() {
        List<byte[]> s = new ArrayList<>();
        for (String f : new String[] {"json/options", "json/parameters", "json/status", "json/interfaces", "json/links",
            "json/netjson/network-graph.json", "json/netjson/network-routes.json"}) {
            s.add(Fixtures.bytes(f));
        }
        s.addAll(filesIn("json/originators"));
        s.addAll(filesIn("json/descriptions"));
        s.add(Fixtures.bytes("socket/A.jshow_originators.reply"));
        s.add(Fixtures.bytes("socket/A.jshow_tunnels.reply"));
        s.add("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[".getBytes(StandardCharsets.US_ASCII));
        return args(s);
    }

    static Stream<Arguments> descriptionSeeds() {
        List<byte[]> s = new ArrayList<>();
        try (Stream<Path> files = Files.list(Fixtures.path("json/descriptions"))) {
            for (Path f : files.sorted().toList()) {
                String name = f.getFileName().toString();
                for (int i = 0; i < IDS.length; i++) {
                    if (IDS[i].equals(NodeId.parse(name))) {
                        byte[] body = Files.readAllBytes(f);
                        byte[] seed = new byte[body.length + 1];
                        seed[0] = (byte) i;
                        System.arraycopy(body, 0, seed, 1, body.length);
                        s.add(seed);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return args(s);
    }

    static Stream<Arguments> descriptionsTextSeeds() {
        List<byte[]> s = new ArrayList<>();
        for (Path f : socketReplies()) {
            if (f.getFileName().toString().contains("descriptions")) {
                s.add(read(f));
            }
        }
        return args(s);
    }

    static Stream<Arguments> tableSeeds() {
        List<byte[]> s = new ArrayList<>();
        for (Path f : socketReplies()) {
            String n = f.getFileName().toString();
            if (n.contains(".show_") || n.contains("error")) {
                s.add(read(f));
            }
        }
        return args(s);
    }

    private static List<Path> socketReplies() {
        try (Stream<Path> files = Files.list(Fixtures.path("socket"))) {
            return files.filter(f -> f.getFileName().toString().endsWith(".reply")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<byte[]> filesIn(String dir) {
        try (Stream<Path> files = Files.list(Fixtures.path(dir))) {
            return files.sorted().map(Bmx7ParsersFuzzTest::read).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] read(Path f) {
        try {
            return Files.readAllBytes(f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Stream<Arguments> args(List<byte[]> seeds) {
        return seeds.stream().map(b -> Arguments.of((Object) b));
    }
}
