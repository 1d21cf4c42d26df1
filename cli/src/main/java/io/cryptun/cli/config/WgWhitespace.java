package io.cryptun.cli.config;

/** Whitespace as wg(8) counts it: space, tab, LF, VT, FF, CR (nothing beyond ASCII). */
final class WgWhitespace {
    private WgWhitespace() {
    }

    static boolean isSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }

    /** wg drops every whitespace character of a line before reading it, not only at the ends. */
    static String removeAll(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (isSpace(c)) {
                if (sb == null) {
                    sb = new StringBuilder(s.length()).append(s, 0, i);
                }
            } else if (sb != null) {
                sb.append(c);
            }
        }
        return sb == null ? s : sb.toString();
    }

    /** wg-quick trims its own keys' values only at the ends. */
    static String trim(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && isSpace(s.charAt(start))) {
            start++;
        }
        while (end > start && isSpace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(start, end);
    }
}
