package io.cryptun.cli.config;

import static io.cryptun.cli.config.TestKeys.PRIV1;
import static io.cryptun.cli.config.TestKeys.PSK;
import static io.cryptun.cli.config.TestKeys.PUB2;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.cli.uapi.SetRequest;
import io.cryptun.noise.crypto.Keys;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Parsed configurations and UAPI requests end up in log lines and exception messages through
 * toString(); theirs never shows a private or pre-shared key, in any form.
 */
class SecretsInToStringTest {

    @Test
    void aParsedConfigPrintsNoKey() throws Exception {
        WgConfig c = WgConfig.parse("t.conf", "[Interface]\nPrivateKey = " + PRIV1 + "\nListenPort = 1\n\n[Peer]\n"
                + "PublicKey = " + PUB2 + "\nPresharedKey = " + PSK + "\nAllowedIPs = 10.0.0.0/8\n");
        String all = c + " " + c.iface() + " " + c.peers() + " " + c.peers().get(0);
        assertTrue(all.contains("10.0.0.0/8"), all);
        assertNoSecret(all);
        assertTrue(c.toWgFormat().contains(PRIV1), "writing the config back (wg showconf's job) keeps the key");
    }

    @Test
    void aParsedSetRequestPrintsNoKey() throws Exception {
        SetRequest r = SetRequest.parse(List.of("private_key=" + hex(PRIV1), "public_key=" + hex(PUB2),
                "preshared_key=" + hex(PSK), "allowed_ip=10.0.0.0/8"));
        String all = r.ops().toString();
        assertTrue(all.contains("AllowedIp"), all);
        assertNoSecret(all);
    }

    private static String hex(String b64) {
        return Keys.toHex(Keys.fromBase64(b64));
    }

    private static void assertNoSecret(String text) {
        for (String s : List.of(PRIV1, PSK, hex(PRIV1), hex(PSK))) {
            for (int i = 0; i + 16 <= s.length(); i++) {
                assertFalse(text.contains(s.substring(i, i + 16)), () -> "secret in " + text);
            }
        }
    }
}
