package io.cryptun.routing.bmx7;

import io.cryptun.routing.CryptunRecord;
import io.cryptun.routing.Fixtures;
import io.cryptun.routing.NodeId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Bmx7DirectoriesTest {
    private Path tmp;

    @BeforeEach
    void createTemp() throws IOException {
        tmp = Files.createTempDirectory("ctbmx");
    }

    @AfterEach
    void removeTemp() throws IOException {
        try (Stream<Path> s = Files.walk(tmp)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Test
    void rcvdSmsOfTheCaptureHoldsThreeRecordsOwnIncluded() throws IOException {
        Map<NodeId, byte[]> files = new RcvdSmsDirectory(Fixtures.path("sms/rcvdSms"), "cryptun").read();
        assertEquals(Set.of(NodeId.parse(Fixtures.A), NodeId.parse(Fixtures.C), NodeId.parse(Fixtures.D)), files.keySet());
        assertArrayEquals(Fixtures.bytes("sms/sendSms/cryptun"), files.get(NodeId.parse(Fixtures.A)));
    }

    @Test
    void rcvdSmsReadingIgnoresOtherFilesAndBoundsItsReads() throws IOException {
        Files.write(tmp.resolve(Fixtures.C + ":cryptun"), Fixtures.bytes("sms/rcvdSms/" + Fixtures.C + ":cryptun"));
        Files.write(tmp.resolve(Fixtures.D + ":cryptun"), new byte[0]);
        Files.write(tmp.resolve(Fixtures.B + ":other"), new byte[] {1});
        Files.write(tmp.resolve("notanid:cryptun"), new byte[] {1});
        Files.write(tmp.resolve(Fixtures.A + ":cryptun"), new byte[100_000]);
        Files.createDirectory(tmp.resolve(Fixtures.B + ":cryptun"));
        Map<NodeId, byte[]> files = new RcvdSmsDirectory(tmp, "cryptun").read();
        assertEquals(Set.of(NodeId.parse(Fixtures.A), NodeId.parse(Fixtures.C), NodeId.parse(Fixtures.D)), files.keySet());
        assertEquals(0, files.get(NodeId.parse(Fixtures.D)).length);
        assertEquals(CryptunRecord.MAX_BYTES + 1, files.get(NodeId.parse(Fixtures.A)).length);
        assertEquals(Map.of(), new RcvdSmsDirectory(tmp.resolve("missing"), "cryptun").read());
    }

    @Test
    void jsonTreeOfTheCaptureReadsCompletely() throws IOException {
        Bmx7JsonDirectory.Snapshot s = new Bmx7JsonDirectory(Fixtures.path("json")).read();
        assertEquals(Map.of(), s.unreadable());
        assertEquals(4, s.descriptions().size());
        assertEquals(4, s.originators().size());
        assertEquals(NodeId.parse(Fixtures.A), s.self());
        assertEquals(3, s.parameters().tunnelSearches().size());
    }

    @Test
    void jsonFilesCaughtMidRewriteAreReportedNotFatal() throws IOException {
        Path json = tmp.resolve("json");
        try (Stream<Path> s = Files.walk(Fixtures.path("json"))) {
            for (Path p : s.toList()) {
                Path target = json.resolve(Fixtures.path("json").relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        Path c = json.resolve("descriptions/" + Fixtures.C);
        Files.write(c, Arrays.copyOf(Files.readAllBytes(c), 500));
        Files.write(json.resolve("originators/" + Fixtures.D), new byte[0]);
        Files.delete(json.resolve("status"));
        Bmx7JsonDirectory.Snapshot s = new Bmx7JsonDirectory(json).read();
        assertEquals(3, s.descriptions().size());
        assertEquals(3, s.originators().size());
        assertNull(s.self());
        assertEquals(Set.of("descriptions/" + Fixtures.C, "originators/" + Fixtures.D, "status"), s.unreadable().keySet());
        assertTrue(s.unreadable().get("originators/" + Fixtures.D).contains("empty"));
    }
}
