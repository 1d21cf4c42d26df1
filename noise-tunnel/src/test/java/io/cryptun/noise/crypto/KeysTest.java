package io.cryptun.noise.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

class KeysTest {
    @Test
    void base64RoundTripAndStrictness() {
        SecureRandom r = new SecureRandom();
        for (int i = 0; i < 200; i++) {
            byte[] k = new byte[32];
            r.nextBytes(k);
            String b64 = Keys.toBase64(k);
            assertEquals(44, b64.length());
            assertArrayEquals(k, Keys.fromBase64(b64));
            assertArrayEquals(k, Keys.fromHex(Keys.toHex(k)));
            assertEquals(Keys.toHex(k), Keys.toHex(k).toLowerCase());
        }
        String good = Keys.toBase64(new byte[32]);
        assertThrows(IllegalArgumentException.class, () -> Keys.fromBase64(good.substring(1)));
        assertThrows(IllegalArgumentException.class, () -> Keys.fromBase64(good + "A"));
        assertThrows(IllegalArgumentException.class, () -> Keys.fromBase64(good.replace('=', 'A')));
        assertThrows(IllegalArgumentException.class, () -> Keys.fromBase64("!" + good.substring(1)));
        // "AAA...B=" has non-zero unused bits in its last character: wg refuses it, so do we
        assertThrows(IllegalArgumentException.class, () -> Keys.fromBase64(good.substring(0, 42) + "B="));
        assertThrows(IllegalArgumentException.class, () -> Keys.fromHex("zz"));
        assertThrows(IllegalArgumentException.class, () -> Keys.fromHex("g".repeat(64)));
        assertTrue(Keys.isZero(new byte[32]));
        byte[] one = new byte[32];
        one[31] = 1;
        assertFalse(Keys.isZero(one));
    }

    @Test
    void errorMessagesNeverContainTheKey() {
        String secret = Keys.toBase64(new byte[32]).substring(0, 43);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Keys.fromBase64(secret));
        assertFalse(e.getMessage().contains(secret));
    }
}
