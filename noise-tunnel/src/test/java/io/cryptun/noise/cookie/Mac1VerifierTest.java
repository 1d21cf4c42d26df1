package io.cryptun.noise.cookie;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.noise.crypto.Blake2s;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link Mac1Verifier} agrees with Bouncy Castle's keyed BLAKE2s-128 for every length and offset. */
class Mac1VerifierTest {
    @Test
    void agreesWithBouncyCastleForEveryLengthUpTo300Bytes() {
        Random r = new Random(11);
        for (int round = 0; round < 20; round++) {
            byte[] key = new byte[32];
            r.nextBytes(key);
            Mac1Verifier v = new Mac1Verifier(key);
            for (int len = 0; len <= 300; len++) {
                int off = r.nextInt(7);
                byte[] buf = new byte[off + len + 16 + r.nextInt(5)];
                r.nextBytes(buf);
                int macOff = off + len;
                Blake2s.mac(key, buf, off, len, buf, macOff);
                assertTrue(v.verify(buf, off, len, macOff), "len " + len + " off " + off);
                // any flipped bit, in the message or the MAC, is refused
                int at = off + r.nextInt(len + 16);
                buf[at] ^= (byte) (1 << r.nextInt(8));
                assertFalse(v.verify(buf, off, len, macOff), "flipped at " + at + ", len " + len);
            }
        }
    }

    @Test
    void theWireGuardShapesAgree() {
        Random r = new Random(12);
        byte[] key = new byte[32];
        r.nextBytes(key);
        Mac1Verifier v = new Mac1Verifier(key);
        for (int size : new int[] {148, 92}) {
            for (int i = 0; i < 1000; i++) {
                byte[] m = new byte[size];
                r.nextBytes(m);
                Blake2s.mac(key, m, 0, size - 32, m, size - 32);
                assertTrue(v.verify(m, 0, size - 32, size - 32));
                m[size - 17] ^= 1;
                assertFalse(v.verify(m, 0, size - 32, size - 32));
            }
        }
    }

    @Test
    void aKeyMustBe32Bytes() {
        assertThrows(IllegalArgumentException.class, () -> new Mac1Verifier(new byte[31]));
    }
}
