package io.cryptun.cli.config;

import static io.cryptun.cli.config.TestKeys.PRIV1;
import static io.cryptun.cli.config.TestKeys.PSK;
import static io.cryptun.cli.config.TestKeys.PUB1;
import static io.cryptun.cli.config.TestKeys.PUB2;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Random and damaged input must give a value or a ConfigException, nothing else. */
class WgConfigFuzzTest {
    private static final String VALID = String.join("\n",
            "[Interface]",
            "Address = 10.0.0.1/24, fd00::1/64",
            "PrivateKey = " + PRIV1,
            "ListenPort = 51820",
            "FwMark = 0x20",
            "MTU = 1420",
            "DNS = 10.0.0.53, example.com",
            "Table = 1234",
            "PostUp = echo up # hi",
            "SaveConfig = false",
            "",
            "[Peer] # first",
            "PublicKey = " + PUB1,
            "PresharedKey = " + PSK,
            "AllowedIPs = 10.0.0.2/32, fd00::2/128",
            "Endpoint = [2001:db8::1]:51820",
            "PersistentKeepalive = 25",
            "",
            "[Peer]",
            "PublicKey = " + PUB2,
            "Endpoint = 192.0.2.1:51820",
            "AllowedIPs = 0.0.0.0/0",
            "");
    private static final String ALPHABET = "[]=#,:/.%+- \t\r\n\u000b\u0000\uFEFF\u00e9\u2028aAfFzZ0189xX";
    private static final String[] TOKENS = {"[Interface]", "[Peer]", "PrivateKey", "PublicKey", "PresharedKey", "AllowedIPs",
        "Endpoint", "ListenPort", "FwMark", "PersistentKeepalive", "Address", "DNS", "MTU", "Table", "PostUp", "SaveConfig",
        " = ", "off", "0x", "::", "[::1]", "/128", "/0", "65535", "65536", "4294967295", PUB2, "\n", "#", ",", "%"};

    @Test
    void randomBytesAsText() {
        Random random = new Random(1);
        for (int round = 0; round < 3000; round++) {
            byte[] bytes = new byte[random.nextInt(400)];
            random.nextBytes(bytes);
            check(new String(bytes, StandardCharsets.ISO_8859_1));
            check(new String(bytes, StandardCharsets.UTF_8));
        }
    }

    @Test
    void randomBytesAsFile(@TempDir Path dir) throws Exception {
        Random random = new Random(2);
        Path file = dir.resolve("wg0.conf");
        for (int round = 0; round < 300; round++) {
            byte[] bytes = new byte[random.nextInt(400)];
            random.nextBytes(bytes);
            if (round % 2 == 0) {
                // mostly valid text with a few raw bytes: reaches the UTF-8 check at various lines
                byte[] valid = VALID.getBytes(StandardCharsets.UTF_8);
                bytes = valid.clone();
                bytes[random.nextInt(bytes.length)] = (byte) (0x80 + random.nextInt(128));
            }
            Files.write(file, bytes);
            try {
                WgConfig.parse(file, w -> { });
            } catch (ConfigException e) {
                assertGoodMessage(e, HexFormat.of().formatHex(bytes));
            } catch (RuntimeException | Error e) {
                fail("crash on file bytes " + HexFormat.of().formatHex(bytes), e);
            }
        }
    }

    @Test
    void randomTextFromConfigPieces() {
        Random random = new Random(3);
        for (int round = 0; round < 5000; round++) {
            StringBuilder sb = new StringBuilder();
            int n = random.nextInt(60);
            for (int i = 0; i < n; i++) {
                if (random.nextInt(3) == 0) {
                    sb.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
                } else {
                    sb.append(TOKENS[random.nextInt(TOKENS.length)]);
                }
            }
            check(sb.toString());
        }
    }

    @Test
    void mutationsOfAValidConfig() throws Exception {
        WgConfig.parse("valid.conf", VALID);
        Random random = new Random(4);
        int accepted = 0;
        for (int round = 0; round < 20000; round++) {
            String text = VALID;
            int mutations = 1 + random.nextInt(4);
            for (int m = 0; m < mutations; m++) {
                text = mutate(text, random);
            }
            if (check(text)) {
                accepted++;
            }
        }
        // the mutations must not be so harsh that nothing passes, nor so mild that nothing fails
        assertTrue(accepted > 500 && accepted < 19500, "accepted " + accepted);
    }

    private static String mutate(String text, Random random) {
        if (text.isEmpty()) {
            return String.valueOf(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        int at = random.nextInt(text.length());
        List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
        int line = random.nextInt(lines.size());
        switch (random.nextInt(8)) {
            case 0:
                return text.substring(0, at) + text.substring(at + 1);
            case 1:
                return text.substring(0, at) + ALPHABET.charAt(random.nextInt(ALPHABET.length())) + text.substring(at);
            case 2:
                return text.substring(0, at) + ALPHABET.charAt(random.nextInt(ALPHABET.length())) + text.substring(at + 1);
            case 3:
                lines.add(line, lines.get(random.nextInt(lines.size())));
                return String.join("\n", lines);
            case 4:
                lines.remove(line);
                return String.join("\n", lines);
            case 5: {
                int nl = text.indexOf('\n', at);
                return nl < 0 ? text : text.substring(0, nl) + text.substring(nl + 1);
            }
            case 6:
                return text.substring(0, at) + TOKENS[random.nextInt(TOKENS.length)] + text.substring(at);
            default: {
                int eq = text.indexOf('=', at);
                return eq < 0 ? text : text.substring(0, eq) + text.substring(eq + 1);
            }
        }
    }

    /** True when accepted; fails the test on anything but a well-formed ConfigException. */
    private static boolean check(String text) {
        try {
            WgConfig c = WgConfig.parse("fuzz.conf", text, w -> assertGoodLine(w, text));
            WgConfig.parse("again.conf", c.toWgFormat());
            return true;
        } catch (ConfigException e) {
            assertGoodMessage(e, text);
            return false;
        } catch (RuntimeException | Error e) {
            fail("crash on input " + escape(text), e);
            return false;
        }
    }

    private static void assertGoodMessage(ConfigException e, String input) {
        assertGoodLine(e.getMessage(), input);
        assertTrue(e.getMessage().startsWith(e.file() + ":"), e.getMessage());
    }

    private static void assertGoodLine(String message, String input) {
        if (message.indexOf('\n') >= 0 || message.indexOf('\r') >= 0 || message.indexOf('\u2028') >= 0) {
            fail("message is not one line: " + escape(message));
        }
        for (String secret : new String[] {PRIV1, PSK}) {
            for (int i = 0; i + 16 <= secret.length(); i++) {
                if (message.contains(secret.substring(i, i + 16))) {
                    fail("secret in message " + message + " for input " + escape(input));
                }
            }
        }
    }

    private static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            sb.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c));
        }
        return sb.toString();
    }
}
