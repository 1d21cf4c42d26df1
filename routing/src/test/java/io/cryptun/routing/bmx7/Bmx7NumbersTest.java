package io.cryptun.routing.bmx7;

import org.junit.jupiter.api.Test;

import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Bmx7NumbersTest {

    @Test
    void configuredBandwidthsLandWhereTheCapturesShowThem() {
        // from the fixtures: tunIn /bandwidth=... as shown by bmx7
        assertEquals("31457K", Bmx7Numbers.formatCompact(Bmx7Numbers.quantizeBandwidth(32_000_000)));
        assertEquals("15728K", Bmx7Numbers.formatCompact(Bmx7Numbers.quantizeBandwidth(16_000_000)));
        assertEquals("7864K", Bmx7Numbers.formatCompact(Bmx7Numbers.quantizeBandwidth(8_000_000)));
        assertEquals("92274K", Bmx7Numbers.formatCompact(Bmx7Numbers.quantizeBandwidth(100_000_000)));
        assertEquals("960", Bmx7Numbers.formatCompact(Bmx7Numbers.quantizeBandwidth(1000)));
        assertEquals("257G", Bmx7Numbers.formatCompact(Bmx7Numbers.UMETRIC_MAX));
        assertEquals(31_457_280L, Bmx7Numbers.quantizeBandwidth(32_000_000));
    }

    @Test
    void quantizationTruncatesOntoTheGrid() {
        for (int code = 0; code < 256; code++) {
            long v = Bmx7Numbers.fmu8Value(code);
            assertEquals(code, Bmx7Numbers.fmu8Code(v), "grid values are fixed points");
            if (code < 255) {
                long next = Bmx7Numbers.fmu8Value(code + 1);
                assertTrue(next > v, "grid is increasing");
                assertEquals(v, Bmx7Numbers.quantizeBandwidth(next - 1), "values between grid points truncate");
            }
        }
        assertEquals(Bmx7Numbers.UMETRIC_MAX, Bmx7Numbers.fmu8Value(255));
        assertEquals(Bmx7Numbers.UMETRIC_MAX, Bmx7Numbers.quantizeBandwidth(Long.MAX_VALUE));
    }

    @Test
    void displayedBandwidthsMapBackToExactValues() {
        assertEquals(31_457_280L, Bmx7Numbers.bandwidthFromDisplay("31457K"));
        assertEquals(7_864_320L, Bmx7Numbers.bandwidthFromDisplay("7864K"));
        assertEquals(960L, Bmx7Numbers.bandwidthFromDisplay("960"));
        assertEquals(Bmx7Numbers.UMETRIC_MAX, Bmx7Numbers.bandwidthFromDisplay("257G"));
        for (int code = 1; code < 256; code++) {
            long v = Bmx7Numbers.fmu8Value(code);
            assertEquals(v, Bmx7Numbers.bandwidthFromDisplay(Bmx7Numbers.formatCompact(v)), "code " + code);
        }
    }

    @Test
    void compactNumbersParseApproximately() {
        assertEquals(OptionalLong.of(706_000_000L), Bmx7Numbers.parseCompact("706M"));
        assertArrayEquals(new long[] {706_000_000L, 707_000_000L}, Bmx7Numbers.compactRange("706M"));
        assertEquals(OptionalLong.of(31_457_000L), Bmx7Numbers.parseCompact("31457K"));
        assertEquals(OptionalLong.of(257_000_000_000L), Bmx7Numbers.parseCompact("257G"));
        assertEquals(OptionalLong.of(960), Bmx7Numbers.parseCompact("960"));
        assertEquals(OptionalLong.empty(), Bmx7Numbers.parseCompact("---"));
        for (String bad : new String[] {"", "M", "7.5M", "12X", "-5", "1e6"}) {
            assertThrows(IllegalArgumentException.class, () -> Bmx7Numbers.parseCompact(bad), bad);
        }
    }

    @Test
    void formatMatchesBmx7sThresholds() {
        assertEquals("99999", Bmx7Numbers.formatCompact(99_999));
        assertEquals("100K", Bmx7Numbers.formatCompact(100_000));
        assertEquals("99999K", Bmx7Numbers.formatCompact(99_999_999));
        assertEquals("100M", Bmx7Numbers.formatCompact(100_000_000));
        assertEquals("847M", Bmx7Numbers.formatCompact(847_200_000));
        assertEquals("0", Bmx7Numbers.formatCompact(Bmx7Numbers.UMETRIC_MIN_NOT_ROUTABLE));
        assertEquals("-1", Bmx7Numbers.formatCompact(3));
    }
}
