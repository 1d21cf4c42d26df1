package io.cryptun.tun.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link InternetChecksum} against the plain one-word-at-a-time sum of {@link RefChecksum}. */
class InternetChecksumTest {

    @Test
    void sumsEveryLengthAndPlaceAsTheWordByWordSumDoes() {
        Random r = new Random(1071);
        byte[] b = new byte[70_000];
        for (int n = 0; n < 20_000; n++) {
            r.nextBytes(b);
            int len = n < 300 ? n : n % 7 == 0 ? r.nextInt(65_536) : r.nextInt(1_600);
            int off = r.nextInt(b.length - len + 1);
            int initial = r.nextInt(0x10000);
            assertEquals(RefChecksum.sum(b, off, len, initial), InternetChecksum.fold(InternetChecksum.add(initial, b, off, len)),
                    "len " + len + " at " + off);
        }
    }

    @Test
    void chainedSumsEqualOneSumAndCarryTheTopByteOfAnOddEnd() {
        Random r = new Random(7);
        byte[] b = new byte[4_000];
        r.nextBytes(b);
        for (int split = 0; split <= 2_000; split += 2) {
            long chained = InternetChecksum.add(InternetChecksum.add(0, b, 0, split), b, split, 2_001 - split);
            assertEquals(RefChecksum.sum(b, 0, 2_001, 0), InternetChecksum.fold(chained), "split at " + split);
        }
        // a lone last byte is the high byte of its word in network order
        assertEquals(0xab00, InternetChecksum.fold(InternetChecksum.add(0, new byte[] {(byte) 0xab}, 0, 1)));
        assertEquals(0x1234, InternetChecksum.fold(InternetChecksum.add(0, new byte[] {0x12, 0x34}, 0, 2)));
    }

    @Test
    void allOnesAndAllZerosKeepTheirOnesComplementValue() {
        byte[] ones = new byte[64];
        java.util.Arrays.fill(ones, (byte) 0xff);
        assertEquals(0xffff, InternetChecksum.fold(InternetChecksum.add(0, ones, 0, 64)));
        assertEquals(0, InternetChecksum.fold(InternetChecksum.add(0, new byte[64], 0, 64)));
        assertEquals(0, InternetChecksum.finish(InternetChecksum.add(0, ones, 0, 64)));
    }
}
