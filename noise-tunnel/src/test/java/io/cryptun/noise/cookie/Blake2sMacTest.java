package io.cryptun.noise.cookie;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.noise.crypto.Blake2s;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link Blake2sMac} agrees with Bouncy Castle's keyed BLAKE2s-128 for every key and message length. */
class Blake2sMacTest {
    @Test
    void agreesWithBouncyCastleForKeysOf1To32BytesAndMessagesOf1To200() {
        Random r = new Random(21);
        int[] h = new int[8];
        int[] m = new int[16];
        byte[] mac = new byte[16];
        for (int keyLen = 1; keyLen <= 32; keyLen++) {
            byte[] key = new byte[keyLen];
            r.nextBytes(key);
            for (int len = 1; len <= 200; len++) {
                int off = r.nextInt(5);
                byte[] msg = new byte[off + len + r.nextInt(5)];
                r.nextBytes(msg);
                Blake2sMac.keyBlock(key, 0, keyLen, h, m);
                Blake2sMac.absorbLast(h, m, msg, off, len);
                Blake2sMac.writeMac(h, mac, 0);
                byte[] expected = Blake2s.mac(key, msg, off, len);
                assertArrayEquals(expected, mac, "key " + keyLen + " bytes, message " + len);
                assertTrue(Blake2sMac.macEquals(h, expected, 0));
                expected[r.nextInt(16)] ^= (byte) (1 << r.nextInt(8));
                assertFalse(Blake2sMac.macEquals(h, expected, 0));
            }
        }
    }

    @Test
    void mac2AsTheCookieCheckerComputesIt() {
        // cookie = MAC(secret, IP ‖ port); mac2 = MAC(cookie, msg[0, 132))
        Random r = new Random(22);
        byte[] secret = new byte[32];
        r.nextBytes(secret);
        byte[] source = {(byte) 198, 18, 0, 1, (byte) 0xca, 0x6c};
        byte[] msg = new byte[148];
        r.nextBytes(msg);
        byte[] cookie = Blake2s.mac(secret, source, 0, source.length);
        byte[] mac2 = Blake2s.mac(cookie, msg, 0, 132);
        int[] h = new int[8];
        int[] m = new int[16];
        byte[] ours = new byte[16];
        Blake2sMac.keyBlock(secret, 0, 32, h, m);
        Blake2sMac.absorbLast(h, m, source, 0, source.length);
        Blake2sMac.writeMac(h, ours, 0);
        assertArrayEquals(cookie, ours);
        Blake2sMac.keyBlock(ours, 0, 16, h, m);
        Blake2sMac.absorbLast(h, m, msg, 0, 132);
        System.arraycopy(mac2, 0, msg, 132, 16);
        assertTrue(Blake2sMac.macEquals(h, msg, 132));
        assertFalse(Arrays.equals(cookie, new byte[16]));
    }
}
