package io.cryptun.cli.config;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A WireGuard configuration as {@code cryptun up IFNAME --config FILE} reads it: the format of
 * wg(8) {@code setconf} plus the wg-quick(8) additions to {@code [Interface]}.
 */
public record WgConfig(InterfaceSection iface, List<PeerSection> peers) {

    public WgConfig {
        Objects.requireNonNull(iface, "iface");
        peers = List.copyOf(peers);
        Set<String> keys = new HashSet<>();
        for (PeerSection p : peers) {
            if (!keys.add(Arrays.toString(p.publicKey()))) {
                throw new IllegalArgumentException("two peers have the same public key");
            }
        }
    }

    /**
     * Reads and parses {@code file}. A missing, unreadable or oversized file is a
     * {@link ConfigException} naming it; warnings (including file permissions) are dropped.
     */
    public static WgConfig parse(Path file) throws ConfigException {
        return parse(file, warning -> { });
    }

    /**
     * Reads and parses {@code file}, passing each warning to {@code warnings} as one line:
     * the file readable or writable by group or others (see {@link ConfigFilePermissions}),
     * an AllowedIPs entry with host bits set, a prefix given to two peers.
     */
    public static WgConfig parse(Path file, Consumer<String> warnings) throws ConfigException {
        return WgConfigParser.parseFile(file, Objects.requireNonNull(warnings, "warnings"));
    }

    /** Parses {@code content}; {@code fileNameForMessages} starts every error message. */
    public static WgConfig parse(String fileNameForMessages, String content) throws ConfigException {
        return parse(fileNameForMessages, content, warning -> { });
    }

    public static WgConfig parse(String fileNameForMessages, String content, Consumer<String> warnings)
            throws ConfigException {
        return WgConfigParser.parseText(Objects.requireNonNull(fileNameForMessages, "fileNameForMessages"),
                Objects.requireNonNull(content, "content"), Objects.requireNonNull(warnings, "warnings"));
    }

    /**
     * The wg(8) part as {@code wg showconf} prints it (wg-quick keys left out). It holds the
     * private key. Unlike showconf, an endpoint given as a DNS name stays a name.
     */
    public String toWgFormat() {
        return WgFormatWriter.write(this);
    }
}
