package io.cryptun.routing;

import java.util.Locale;

/** How this node reaches the gateways its tunnel searches choose. */
public enum CryptMode {
    /** Only WireGuard tunnels; a gateway without a usable cryptun record is not used. */
    REQUIRE,
    /**
     * WireGuard where some gateway for a route announces a usable key (such gateways rank before
     * plain ones); where none does, that route is handed to bmx7's plain tunnel.
     */
    PREFER,
    /** No WireGuard peers at all; every search is handed to bmx7 unchanged. */
    OFF;

    public static final CryptMode DEFAULT = REQUIRE;

    /** Parses {@code require}, {@code prefer} or {@code off} (any case). */
    public static CryptMode parse(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "require" -> REQUIRE;
            case "prefer" -> PREFER;
            case "off" -> OFF;
            default -> throw new IllegalArgumentException("crypt-tun must be require, prefer or off, not '" + text + "'");
        };
    }

    public String optionValue() {
        return name().toLowerCase(Locale.ROOT);
    }
}
