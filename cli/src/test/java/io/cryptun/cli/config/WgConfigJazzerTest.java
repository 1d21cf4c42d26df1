package io.cryptun.cli.config;

import static io.cryptun.cli.config.TestKeys.PRIV1;
import static io.cryptun.cli.config.TestKeys.PSK;
import static io.cryptun.cli.config.TestKeys.PUB1;
import static io.cryptun.cli.config.TestKeys.PUB2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Coverage-guided fuzzing of the wg config parser (the random and mutation tests in
 * {@link WgConfigFuzzTest} are its seedless counterpart). Any text gives a config or a
 * {@link ConfigException} whose message is one line starting with the file name and quotes no
 * key; warnings are one line too; an accepted config written back in wg format parses to the
 * same wg format.
 */
class WgConfigJazzerTest {

    @MethodSource("seeds")
    @FuzzTest(maxDuration = "30s")
    void parse(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        WgConfig c;
        try {
            c = WgConfig.parse("fuzz.conf", text, w -> assertOneLineWithoutSecrets(w));
        } catch (ConfigException e) {
            assertTrue(e.getMessage().startsWith("fuzz.conf:"), e.getMessage());
            assertOneLineWithoutSecrets(e.getMessage());
            return;
        } catch (RuntimeException e) {
            fail("config parser crashed", e);
            return;
        }
        String wg = c.toWgFormat();
        try {
            assertEquals(wg, WgConfig.parse("again.conf", wg).toWgFormat());
        } catch (ConfigException e) {
            fail("an accepted config written back is refused: " + e.getMessage() + "\n" + wg);
        }
    }

    private static void assertOneLineWithoutSecrets(String message) {
        if (message.indexOf('\n') >= 0 || message.indexOf('\r') >= 0) {
            fail("not one line: " + message);
        }
        for (String secret : new String[] {PRIV1, PSK}) {
            for (int i = 0; i + 16 <= secret.length(); i += 4) {
                if (message.contains(secret.substring(i, i + 16))) {
                    fail("secret in message: " + message);
                }
            }
        }
    }

    static Stream<Arguments> seeds() {
        List<String> s = List.of(
                String.join("\n", "[Interface]", "Address = 10.0.0.1/24, fd00::1/64", "PrivateKey = " + PRIV1,
                        "ListenPort = 51820", "FwMark = 0x20", "MTU = 1420", "DNS = 10.0.0.53, example.com",
                        "Table = 1234", "PostUp = echo up # hi", "SaveConfig = false", "",
                        "[Peer] # first", "PublicKey = " + PUB1, "PresharedKey = " + PSK,
                        "AllowedIPs = 10.0.0.2/32, fd00::2/128", "Endpoint = [2001:db8::1]:51820",
                        "PersistentKeepalive = 25", "", "[Peer]", "PublicKey = " + PUB2,
                        "Endpoint = 192.0.2.1:51820", "AllowedIPs = 0.0.0.0/0", ""),
                "[Interface]\r\nPrivateKey=" + PRIV1 + "\r\n[Peer]\r\nPublicKey=" + PUB2 + "\r\nEndpoint=host.example:1\r\n",
                "\uFEFF[Interface]\nPrivateKey = " + PRIV1 + "\nListenPort = off\n",
                "[Peer]\nPublicKey = " + PUB1 + "\nAllowedIPs = 10.0.0.1/8\nPersistentKeepalive = off\n");
        return s.stream().map(t -> Arguments.of((Object) t.getBytes(StandardCharsets.UTF_8)));
    }
}
