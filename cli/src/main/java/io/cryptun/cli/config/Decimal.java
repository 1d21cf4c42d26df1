package io.cryptun.cli.config;

/** Unsigned decimal numbers as wg's strtoul-based parsing accepts them (leading zeros allowed). */
final class Decimal {
    private Decimal() {
    }

    static boolean isDigits(String text) {
        if (text.isEmpty()) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    /** The value of {@code text}, or -1 when it is not digits or exceeds {@code max}. */
    static long parse(String text, long max) {
        if (!isDigits(text)) {
            return -1;
        }
        int i = 0;
        while (i < text.length() - 1 && text.charAt(i) == '0') {
            i++;
        }
        if (text.length() - i > 18) {
            return -1;
        }
        long value = Long.parseLong(text.substring(i));
        return value > max ? -1 : value;
    }
}
