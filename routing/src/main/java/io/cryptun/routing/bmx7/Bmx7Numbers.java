package io.cryptun.routing.bmx7;

import java.util.OptionalLong;

/**
 * bmx7's metric numbers. Internally they are "umetric" integers (bit/s for bandwidths); bmx7
 * prints them in a lossy compact form ({@code 960}, {@code 31457K}, {@code 706M}, {@code 257G}:
 * the value divided by 1000, 10^6 or 10^9 and truncated), and carries announced bandwidths as a
 * one-byte float (5-bit exponent, 3-bit mantissa) that truncates, so 32 000 000 bit/s becomes
 * 31 457 280.
 */
public final class Bmx7Numbers {
    private static final int EXPONENT_OFFSET = 6;
    private static final int MANTISSA16_BITS = 6;
    private static final int MANTISSA8_BITS = 3;
    /** Largest metric; also what a tunDev's own address is announced with ("257G"). */
    public static final long UMETRIC_MAX = (1L << 37) + (7L << 34);
    /** Metrics at or below this are "not routable". */
    public static final long UMETRIC_MIN_NOT_ROUTABLE = (1L << EXPONENT_OFFSET) + 1;
    /** bmx7's default for {@code /bandwidth} and {@code /minBandwidth} before quantization. */
    public static final long DEFAULT_BANDWIDTH = 1000;

    private Bmx7Numbers() {
    }

    /** The value of an 8-bit float code (0..255). */
    public static long fmu8Value(int code) {
        if (code < 0 || code > 255) {
            throw new IllegalArgumentException("fmu8 code out of range");
        }
        int exp = code >>> MANTISSA8_BITS;
        long mantissa16 = (long) (code & 7) << (MANTISSA16_BITS - MANTISSA8_BITS);
        return (1L << (exp + EXPONENT_OFFSET)) + (mantissa16 << exp);
    }

    /** The 8-bit float code of {@code value}, truncating like bmx7's {@code umetric_to_fmu8}. */
    public static int fmu8Code(long value) {
        if (value < UMETRIC_MIN_NOT_ROUTABLE) {
            return 0;
        }
        if (value >= UMETRIC_MAX) {
            return 255;
        }
        int log2 = 63 - Long.numberOfLeadingZeros(value);
        int exp = log2 - EXPONENT_OFFSET;
        int mantissa16 = (int) ((value >>> exp) & ((1 << MANTISSA16_BITS) - 1));
        return (exp << MANTISSA8_BITS) | (mantissa16 >>> (MANTISSA16_BITS - MANTISSA8_BITS));
    }

    /** What bmx7 makes of a configured bandwidth: {@code 1000 -> 960}, {@code 8000000 -> 7864320}. */
    public static long quantizeBandwidth(long value) {
        return fmu8Value(fmu8Code(value));
    }

    /**
     * Parses a compact number as its lower bound ({@code 706M -> 706000000}); {@code ---} (none)
     * gives an empty result.
     *
     * @throws IllegalArgumentException for anything else
     */
    public static OptionalLong parseCompact(String text) {
        long[] range = compactRange(text);
        return range == null ? OptionalLong.empty() : OptionalLong.of(range[0]);
    }

    /**
     * The half-open interval {@code [low, high)} of exact values a compact number may stand for,
     * or null for {@code ---}.
     */
    public static long[] compactRange(String text) {
        String t = text == null ? "" : text.trim();
        if (t.equals("---")) {
            return null;
        }
        if (t.isEmpty()) {
            throw new IllegalArgumentException("empty number");
        }
        long unit = switch (t.charAt(t.length() - 1)) {
            case 'K' -> 1_000L;
            case 'M' -> 1_000_000L;
            case 'G' -> 1_000_000_000L;
            default -> 1L;
        };
        String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
        if (digits.equals("-1")) {
            return new long[] {0, UMETRIC_MIN_NOT_ROUTABLE};
        }
        if (digits.isEmpty() || digits.length() > 12 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("not a bmx7 number: '" + text + "'");
        }
        long n = Long.parseLong(digits);
        return new long[] {n * unit, (n + 1) * unit};
    }

    /**
     * An announced bandwidth as printed ({@code 31457K}) back to its exact value: the grid value
     * whose display matches, else the lower bound.
     */
    public static long bandwidthFromDisplay(String text) {
        long[] range = compactRange(text);
        if (range == null) {
            throw new IllegalArgumentException("no bandwidth: '" + text + "'");
        }
        for (int code = 0; code < 256; code++) {
            long v = fmu8Value(code);
            if (v >= range[0] && v < range[1]) {
                return v;
            }
        }
        return range[0];
    }

    /** Prints like bmx7's {@code umetric_to_human}. */
    public static String formatCompact(long value) {
        if (value < UMETRIC_MIN_NOT_ROUTABLE) {
            return "-1";
        }
        if (value == UMETRIC_MIN_NOT_ROUTABLE) {
            return "0";
        }
        if (value < 100_000L) {
            return Long.toString(value);
        }
        if (value < 100_000_000L) {
            return value / 1_000L + "K";
        }
        if (value < 100_000_000_000L) {
            return value / 1_000_000L + "M";
        }
        return value / 1_000_000_000L + "G";
    }
}
