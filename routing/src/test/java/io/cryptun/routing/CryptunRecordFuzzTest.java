package io.cryptun.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
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
 * Fuzzes the parser of the sms record other nodes publish through bmx7 (what arrives in
 * rcvdSms/ is chosen by whoever runs the sending node). Any input gives a record or a
 * {@link RecordFormatException} with a short one-line message; an accepted record formats to a record
 * that parses to the same content, and no more than {@link CryptunRecord#MAX_BYTES} were accepted.
 */
class CryptunRecordFuzzTest {

    @MethodSource("seeds")
    @FuzzTest(maxDuration = "30s")
    void parse(byte[] input) {
        CryptunRecord r;
        try {
            r = CryptunRecord.parse(input);
        } catch (RecordFormatException e) {
            String m = e.getMessage();
            assertTrue(m != null && !m.isEmpty() && m.indexOf('\n') < 0 && m.length() <= 201, "message: " + m);
            return;
        }
        assertTrue(input.length <= CryptunRecord.MAX_BYTES);
        String formatted = r.format();
        CryptunRecord again;
        try {
            again = CryptunRecord.parse(formatted);
        } catch (RecordFormatException e) {
            throw new AssertionError("an accepted record formats to one that is refused: " + formatted, e);
        }
        assertArrayEquals(r.publicKey(), again.publicKey());
        assertEquals(r.port(), again.port());
        assertEquals(r.tunnelSources(), again.tunnelSources());
        assertEquals(formatted, again.format());
    }

    /** Found by fuzzing: a refused record's message quoted up to a kilobyte of the sender's text. */
    @Test
    void aRefusedRecordsMessageIsShort() {
        String longValue = "2::" + "%".repeat(900);
        RecordFormatException e = assertThrows(RecordFormatException.class, () -> CryptunRecord.parse(
                "v=1 key=+HX/i2gqrwug7XP3GARMr3US5EGHgMc6bM3TRgSIUxM= port=1 tun6=" + longValue + "\n"));
        assertTrue(e.getMessage().startsWith("tun6 needs an explicit prefix length: '2::%%%"), e.getMessage());
        assertTrue(e.getMessage().length() <= 201, e.getMessage());
    }

    static Stream<Arguments> seeds() {
        List<byte[]> s = new ArrayList<>();
        for (String dir : new String[] {"sms/rcvdSms", "sms/sendSms"}) {
            try (Stream<Path> files = Files.list(Fixtures.path(dir))) {
                files.sorted().forEach(f -> {
                    try {
                        s.add(Files.readAllBytes(f));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        s.add("v=1 key=+HX/i2gqrwug7XP3GARMr3US5EGHgMc6bM3TRgSIUxM= port=1 x=y\n".getBytes(StandardCharsets.US_ASCII));
        s.add("v=2 future\n".getBytes(StandardCharsets.US_ASCII));
        return s.stream().map(b -> Arguments.of((Object) b));
    }
}
