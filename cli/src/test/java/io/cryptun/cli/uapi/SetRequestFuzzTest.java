package io.cryptun.cli.uapi;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzzes the parser of a UAPI set request's lines (the input split at '\n'). Any input gives a
 * request or a {@link UapiException} with one of wireguard-go's errno values and a one-line
 * reason that never quotes a private or preshared key value from the input.
 */
class SetRequestFuzzTest {
    static final Set<Integer> ERRNOS = Set.of(UapiErrno.EIO, UapiErrno.EINVAL, UapiErrno.EPROTO,
            UapiErrno.EADDRINUSE, UapiErrno.ENOANO);

    @MethodSource("seeds")
    @FuzzTest(maxDuration = "30s")
    void parse(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        List<String> lines = List.of(text.split("\n", -1));
        try {
            SetRequest r = SetRequest.parse(lines);
            assertTrue(r.ops().size() <= lines.size());
        } catch (UapiException e) {
            assertTrue(ERRNOS.contains(e.errno()), "errno " + e.errno());
            assertTrue(e.getMessage() != null && e.getMessage().indexOf('\n') < 0, "one line: " + e.getMessage());
            assertNoSecretQuoted(text, e.getMessage());
        } catch (RuntimeException e) {
            fail("set parser crashed", e);
        }
    }

    /**
     * No value of a private_key= or preshared_key= line (16 hex digits or more of it) is in the
     * message, unless the input also has that text on a line that is not a key line (the parser
     * may quote a bad listen_port, say, whatever its digits).
     */
    static void assertNoSecretQuoted(String request, String message) {
        StringBuilder open = new StringBuilder();
        List<String> secrets = new java.util.ArrayList<>();
        for (String l : request.split("\n")) {
            if (l.startsWith("private_key=") || l.startsWith("preshared_key=")) {
                secrets.add(l.substring(l.indexOf('=') + 1));
            } else {
                open.append(l).append('\n');
            }
        }
        for (String v : secrets) {
            for (int i = 0; i + 16 <= v.length(); i++) {
                String fragment = v.substring(i, i + 16);
                // a key is hex: other bytes the fuzzer put in the value are no secret
                if (fragment.chars().allMatch(c -> Character.digit(c, 16) >= 0)
                        && message.contains(fragment) && open.indexOf(fragment) < 0) {
                    fail("secret quoted in '" + message + "'");
                }
            }
        }
    }

    static Stream<Arguments> seeds() {
        return UapiSeeds.setBodies().stream().map(s -> Arguments.of((Object) s.getBytes(StandardCharsets.UTF_8)));
    }
}
