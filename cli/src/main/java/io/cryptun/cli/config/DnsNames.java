package io.cryptun.cli.config;

/** Syntax of DNS host names (RFC 1123 labels; '_' let through, as resolvers do). */
final class DnsNames {
    private static final int MAX_NAME_LENGTH = 253;
    private static final int MAX_LABEL_LENGTH = 63;

    private DnsNames() {
    }

    /** True for {@code vpn.example.com}, {@code host}, {@code example.com.} (one trailing dot). */
    static boolean isValid(String text) {
        String name = text.endsWith(".") ? text.substring(0, text.length() - 1) : text;
        if (name.isEmpty() || name.length() > MAX_NAME_LENGTH) {
            return false;
        }
        for (String label : name.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > MAX_LABEL_LENGTH || label.startsWith("-") || label.endsWith("-")) {
                return false;
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
                    return false;
                }
            }
        }
        return true;
    }
}
