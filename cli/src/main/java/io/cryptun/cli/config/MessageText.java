package io.cryptun.cli.config;

/**
 * Makes text from a configuration file safe to show in a one-line message. A damaged file
 * (a lost newline, a lost '=') can move a key into a place where a value or a key name is
 * expected, so anything quoted from the file passes through {@link #quote}, which hides runs
 * that look like base64 key material.
 */
final class MessageText {
    /** Shorter runs of base64 letters are ordinary words, numbers or host name labels. */
    private static final int SUSPICIOUS_RUN = 12;
    /** Longer than any key name, so a misspelt key is still shown. */
    private static final int LONGEST_WORD = 32;
    private static final int MAX_QUOTED = 64;
    private static final String HIDDEN = "<hidden>";

    private MessageText() {
    }

    /** Quotes text from the file in single quotes, shortened and with key-like runs hidden. */
    static String quote(String text) {
        String shown = hideKeyLikeRuns(text);
        if (shown.length() > MAX_QUOTED) {
            shown = shown.substring(0, MAX_QUOTED) + "...";
        }
        return "'" + oneLine(shown) + "'";
    }

    /** Replaces line breaks and other control characters so a message stays on one line. */
    static String oneLine(String text) {
        StringBuilder sb = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean control = c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '\u2028' || c == '\u2029';
            if (control && sb == null) {
                sb = new StringBuilder(text.length() + 8).append(text, 0, i);
            }
            if (sb != null) {
                if (control) {
                    sb.append(String.format("\\u%04x", (int) c));
                } else {
                    sb.append(c);
                }
            }
        }
        return sb == null ? text : sb.toString();
    }

    /**
     * Hides every run of at least {@value #SUSPICIOUS_RUN} base64 characters that mixes upper
     * and lower case letters and either holds a digit, '+' or '/' or is longer than any key
     * name: random key material almost always is such a run, while numbers, IP addresses,
     * host names and misspelt key names (CamelCase words) are not.
     */
    static String hideKeyLikeRuns(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        int i = 0;
        while (i < text.length()) {
            if (!isBase64Char(text.charAt(i))) {
                sb.append(text.charAt(i++));
                continue;
            }
            int start = i;
            boolean upper = false;
            boolean lower = false;
            boolean other = false;
            while (i < text.length() && isBase64Char(text.charAt(i))) {
                char c = text.charAt(i++);
                upper |= c >= 'A' && c <= 'Z';
                lower |= c >= 'a' && c <= 'z';
                other |= (c >= '0' && c <= '9') || c == '+' || c == '/';
            }
            int length = i - start;
            if (length >= SUSPICIOUS_RUN && upper && lower && (other || length > LONGEST_WORD)) {
                sb.append(HIDDEN);
            } else {
                sb.append(text, start, i);
            }
        }
        return sb.toString();
    }

    private static boolean isBase64Char(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                || c == '+' || c == '/' || c == '=';
    }
}
