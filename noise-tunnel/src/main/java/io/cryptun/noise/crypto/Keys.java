package io.cryptun.noise.crypto;

import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Text forms of WireGuard's 32-byte keys: base64 as in config files and {@code wg genkey},
 * lowercase hex as on the userspace API socket.
 */
public final class Keys {
    public static final int KEY_LENGTH = 32;
    private static final int BASE64_LENGTH = 44;
    private static final HexFormat HEX = HexFormat.of();

    private Keys() {
    }

    /**
     * Decodes a base64 key exactly as {@code wg} accepts it: 44 characters ending in '=',
     * decoding to 32 bytes. Throws {@link IllegalArgumentException} with a message fit for a user.
     */
    public static byte[] fromBase64(String text) {
        if (text == null || text.length() != BASE64_LENGTH || text.charAt(BASE64_LENGTH - 1) != '='
                || text.charAt(BASE64_LENGTH - 2) == '=') {
            throw new IllegalArgumentException("key is not 44 characters of base64 ending in '='");
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("key is not valid base64");
        }
        if (key.length != KEY_LENGTH) {
            throw new IllegalArgumentException("key does not decode to 32 bytes");
        }
        // wg rejects non-zero unused bits in the last character; so do we (one text per key)
        if (!Base64.getEncoder().encodeToString(key).equals(text)) {
            Arrays.fill(key, (byte) 0);
            throw new IllegalArgumentException("the character before '=' is not one a 32-byte key can end in");
        }
        return key;
    }

    public static String toBase64(byte[] key) {
        checkLength(key);
        return Base64.getEncoder().encodeToString(key);
    }

    /** Decodes 64 hex digits (either case), as the userspace API carries keys. */
    public static byte[] fromHex(String text) {
        if (text == null || text.length() != 2 * KEY_LENGTH) {
            throw new IllegalArgumentException("key is not 64 hex digits");
        }
        for (int i = 0; i < text.length(); i++) {
            if (Character.digit(text.charAt(i), 16) < 0) {
                throw new IllegalArgumentException("key is not 64 hex digits");
            }
        }
        return HEX.parseHex(text);
    }

    public static String toHex(byte[] key) {
        checkLength(key);
        return HEX.formatHex(key);
    }

    /** True when every byte is zero: the userspace API's way of saying "no key". */
    public static boolean isZero(byte[] key) {
        int acc = 0;
        for (byte b : key) {
            acc |= b;
        }
        return acc == 0;
    }

    /** A short, non-secret label for a public key in logs: the first 8 base64 characters. */
    public static String shortLabel(byte[] publicKey) {
        return toBase64(publicKey).substring(0, 8) + "…";
    }

    public static void zero(byte[] secret) {
        if (secret != null) {
            Arrays.fill(secret, (byte) 0);
        }
    }

    private static void checkLength(byte[] key) {
        if (key == null || key.length != KEY_LENGTH) {
            throw new IllegalArgumentException("key must be 32 bytes");
        }
    }
}
