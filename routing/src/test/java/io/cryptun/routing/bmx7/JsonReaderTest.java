package io.cryptun.routing.bmx7;

import io.cryptun.routing.Fixtures;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonReaderTest {

    @Test
    void readsValuesAndEscapesAsBmx7WritesThem() {
        Map<String, Object> o = JsonReader.parseObject(
                "{ \"a\": \"10.0.0.0\\/8\", \"n\": -12, \"d\": 1.5e3, \"t\": true, \"f\": false, \"z\": null,"
                        + " \"l\": [ 1, [ ], { } ], \"u\": \"\\u0041\\n\" }");
        assertEquals("10.0.0.0/8", o.get("a"));
        assertEquals(-12L, o.get("n"));
        assertEquals(1500.0, o.get("d"));
        assertEquals(Boolean.TRUE, o.get("t"));
        assertEquals(Boolean.FALSE, o.get("f"));
        assertTrue(o.containsKey("z"));
        assertNull(o.get("z"));
        assertEquals(List.of(1L, List.of(), Map.of()), o.get("l"));
        assertEquals("A\n", o.get("u"));
    }

    @Test
    void everyCapturedJsonFileParses() throws Exception {
        try (Stream<Path> files = Files.walk(Fixtures.path("json"))) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                Object v = JsonReader.parse(Files.readString(p));
                assertTrue(v instanceof Map, p.toString());
            }
        }
    }

    @Test
    void truncatedAndHostileInputIsRefusedCleanly() {
        String full = Fixtures.text("json/descriptions/" + Fixtures.C);
        for (int cut : new int[] {0, 1, 10, full.length() / 2, full.length() - 2}) {
            String partial = full.substring(0, cut);
            assertThrows(IllegalArgumentException.class, () -> JsonReader.parse(partial), "cut at " + cut);
        }
        assertThrows(IllegalArgumentException.class, () -> JsonReader.parse("[".repeat(100_000)));
        assertThrows(IllegalArgumentException.class, () -> JsonReader.parse("{\"a\":1} x"));
        assertThrows(IllegalArgumentException.class, () -> JsonReader.parse("{\"a\":\"\u0001\"}"));
        assertThrows(IllegalArgumentException.class, () -> JsonReader.parse("{\"a\":01x}"));
        assertThrows(IllegalArgumentException.class, () -> JsonReader.parse("\"\\x\""));
        assertThrows(IllegalArgumentException.class, () -> JsonReader.parseObject("[1]"));
    }
}
