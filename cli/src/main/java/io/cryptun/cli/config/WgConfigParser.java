package io.cryptun.cli.config;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.noise.crypto.Keys;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Reads the configuration format of wg(8) {@code setconf} with the wg-quick(8) additions.
 *
 * <p>It follows wg's config.c: keys are case-insensitive, '#' starts a comment anywhere, and
 * for wg's own keys every whitespace character is dropped (so {@code AllowedIPs = a, b} works).
 * wg-quick's keys are trimmed only at the ends, and its PreUp/PostUp/PreDown/PostDown keep the
 * rest of the line, '#' included, as wg-quick does. It is stricter than wg where wg silently
 * lets a later line win: a second [Interface], a key given twice in one section, and two peers
 * with the same public key are errors.
 */
final class WgConfigParser {
    /** Far beyond any real configuration; stops a mistaken path such as /dev/zero. */
    static final int MAX_FILE_BYTES = 16 << 20;

    private static final List<String> INTERFACE_KEYS = List.of("PrivateKey", "ListenPort", "FwMark",
            "Address", "MTU", "DNS", "Table", "PreUp", "PostUp", "PreDown", "PostDown", "SaveConfig");
    private static final List<String> PEER_KEYS = List.of("PublicKey", "PresharedKey", "Endpoint",
            "AllowedIPs", "PersistentKeepalive");

    private final String file;
    private final Consumer<String> warnings;

    private InterfaceBuilder iface;
    private PeerBuilder peer;
    private boolean inInterface;
    private final List<PeerBuilder> peers = new ArrayList<>();
    private final Map<String, Integer> publicKeyLines = new HashMap<>();
    private final Map<IpPrefix, Integer> allowedIpPeerLines = new HashMap<>();

    private WgConfigParser(String file, Consumer<String> warnings) {
        this.file = file;
        this.warnings = warnings;
    }

    static WgConfig parseFile(Path path, Consumer<String> warnings) throws ConfigException {
        String name = path.toString();
        if (Files.isDirectory(path)) {
            throw new ConfigException(name, "is a directory, not a configuration file");
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(path)) {
            bytes = in.readNBytes(MAX_FILE_BYTES + 1);
        } catch (NoSuchFileException e) {
            throw new ConfigException(name, "no such file");
        } catch (AccessDeniedException e) {
            throw new ConfigException(name, "permission denied");
        } catch (FileSystemException e) {
            throw new ConfigException(name, "cannot read: " + (e.getReason() != null ? e.getReason() : e.getClass().getSimpleName()));
        } catch (IOException e) {
            throw new ConfigException(name, "cannot read: " + e.getMessage());
        }
        if (bytes.length > MAX_FILE_BYTES) {
            throw new ConfigException(name, "larger than " + (MAX_FILE_BYTES >> 20) + " MiB; not a WireGuard configuration");
        }
        for (String warning : ConfigFilePermissions.warnings(path)) {
            warnings.accept(warning);
        }
        return parseText(name, decodeUtf8(name, bytes), warnings);
    }

    static WgConfig parseText(String file, String content, Consumer<String> warnings) throws ConfigException {
        return new WgConfigParser(file, warnings).parse(content);
    }

    private static String decodeUtf8(String name, byte[] bytes) throws ConfigException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            int line = 1;
            for (int i = 0; i < in.position(); i++) {
                if (bytes[i] == '\n') {
                    line++;
                }
            }
            throw new ConfigException(name, line, "not valid UTF-8 text");
        }
        return out.flip().toString();
    }

    private WgConfig parse(String content) throws ConfigException {
        String text = content.startsWith("\uFEFF") ? content.substring(1) : content;
        int lineNumber = 0;
        int start = 0;
        while (start <= text.length()) {
            int end = text.indexOf('\n', start);
            if (end < 0) {
                end = text.length();
            }
            lineNumber++;
            line(lineNumber, text.substring(start, end));
            start = end + 1;
        }
        endSection();
        if (iface == null) {
            throw new ConfigException(file, "no [Interface] section");
        }
        if (iface.privateKey == null) {
            throw fail(iface.line, "[Interface] has no PrivateKey");
        }
        List<PeerSection> peerSections = new ArrayList<>(peers.size());
        for (PeerBuilder p : peers) {
            peerSections.add(p.build());
        }
        InterfaceSection section = iface.build();
        Keys.zero(iface.privateKey);
        return new WgConfig(section, peerSections);
    }

    private void line(int n, String raw) throws ConfigException {
        if (raw.indexOf('\0') >= 0) {
            throw fail(n, "contains a NUL character; not a text file?");
        }
        int hash = raw.indexOf('#');
        String stripped = hash < 0 ? raw : raw.substring(0, hash);
        String compact = WgWhitespace.removeAll(stripped);
        if (compact.isEmpty()) {
            return;
        }
        if (compact.charAt(0) == '[') {
            header(n, compact);
            return;
        }
        int eq = stripped.indexOf('=');
        if (eq < 0) {
            throw fail(n, "expected 'Key = Value' or a [Section] header");
        }
        String key = WgWhitespace.removeAll(stripped.substring(0, eq));
        if (key.isEmpty()) {
            throw fail(n, "no key before '='");
        }
        String value = WgWhitespace.trim(stripped.substring(eq + 1));
        if (inInterface) {
            // eq lies before any '#', so it is the same '=' in the raw line
            interfaceKey(n, key, value, WgWhitespace.trim(raw.substring(eq + 1)));
        } else if (peer != null) {
            peerKey(n, key, value);
        } else {
            throw fail(n, "key " + keyForMessage(key) + " comes before any [Interface] or [Peer] section");
        }
    }

    private void header(int n, String compact) throws ConfigException {
        if (compact.equalsIgnoreCase("[Interface]")) {
            endSection();
            if (iface != null) {
                throw fail(n, "a second [Interface] section (the first is on line " + iface.line + ")");
            }
            iface = new InterfaceBuilder(n);
            inInterface = true;
        } else if (compact.equalsIgnoreCase("[Peer]")) {
            endSection();
            peer = new PeerBuilder(n);
            peers.add(peer);
            inInterface = false;
        } else if (compact.endsWith("]")) {
            throw fail(n, "unknown section " + MessageText.quote(compact) + " (expected [Interface] or [Peer])");
        } else {
            throw fail(n, "malformed section header (expected [Interface] or [Peer])");
        }
    }

    private void endSection() throws ConfigException {
        if (peer != null && peer.publicKey == null) {
            throw fail(peer.line, "[Peer] has no PublicKey");
        }
        peer = null;
        inInterface = false;
    }

    private void interfaceKey(int n, String key, String value, String rawValue) throws ConfigException {
        InterfaceBuilder b = iface;
        switch (key.toLowerCase(Locale.ROOT)) {
            case "privatekey" -> {
                b.once(n, "PrivateKey");
                byte[] k = key(n, "PrivateKey", value);
                if (Keys.isZero(k)) {
                    throw fail(n, "PrivateKey is all zeros, which means no key");
                }
                b.privateKey = k;
            }
            case "listenport" -> {
                b.once(n, "ListenPort");
                String v = wgValue(n, "ListenPort", value);
                long port = Decimal.parse(v, 65535);
                if (port < 0) {
                    throw fail(n, "ListenPort is not a port number from 0 to 65535: " + MessageText.quote(v));
                }
                b.listenPort = OptionalInt.of((int) port);
            }
            case "fwmark" -> {
                b.once(n, "FwMark");
                String v = wgValue(n, "FwMark", value);
                long mark = fwMark(v);
                if (mark < 0) {
                    throw fail(n, "FwMark is neither off nor a number from 0 to 0xffffffff: " + MessageText.quote(v));
                }
                b.fwMark = OptionalLong.of(mark);
            }
            case "address" -> {
                for (String entry : listEntries(value)) {
                    try {
                        b.addresses.add(InterfaceAddress.parse(entry));
                    } catch (IllegalArgumentException e) {
                        throw fail(n, "Address " + MessageText.quote(entry) + " is not valid: " + e.getMessage());
                    }
                }
            }
            case "mtu" -> {
                b.once(n, "MTU");
                if (!value.isEmpty()) {
                    long mtu = Decimal.parse(value, 65535);
                    if (mtu < 68) {
                        throw fail(n, "MTU is not a number from 68 to 65535: " + MessageText.quote(value));
                    }
                    b.mtu = OptionalInt.of((int) mtu);
                }
            }
            case "dns" -> {
                for (String entry : listEntries(value)) {
                    if (!isDnsEntry(entry)) {
                        throw fail(n, "DNS entry " + MessageText.quote(entry)
                                + " is neither an IP address nor a search domain");
                    }
                    b.dns.add(entry);
                }
            }
            case "table" -> {
                b.once(n, "Table");
                if (!value.isEmpty()) {
                    if (!isTableName(value)) {
                        throw fail(n, "Table " + MessageText.quote(value) + " is not off, auto, a table number or a table name");
                    }
                    b.table = Optional.of(value);
                }
            }
            case "preup" -> addHook(b.preUp, rawValue);
            case "postup" -> addHook(b.postUp, rawValue);
            case "predown" -> addHook(b.preDown, rawValue);
            case "postdown" -> addHook(b.postDown, rawValue);
            case "saveconfig" -> {
                b.once(n, "SaveConfig");
                if (value.equalsIgnoreCase("true")) {
                    b.saveConfig = true;
                } else if (value.equalsIgnoreCase("false")) {
                    b.saveConfig = false;
                } else {
                    throw fail(n, "SaveConfig is neither true nor false: " + MessageText.quote(value));
                }
            }
            default -> throw unknownKey(n, key, "[Interface]", INTERFACE_KEYS, PEER_KEYS, "[Peer]");
        }
    }

    private void peerKey(int n, String key, String value) throws ConfigException {
        PeerBuilder b = peer;
        switch (key.toLowerCase(Locale.ROOT)) {
            case "publickey" -> {
                b.once(n, "PublicKey");
                byte[] k = key(n, "PublicKey", value);
                String text = Keys.toBase64(k);
                Integer first = publicKeyLines.putIfAbsent(text, n);
                if (first != null) {
                    throw fail(n, "another [Peer] already has PublicKey " + Keys.shortLabel(k) + " (line " + first + ")");
                }
                b.publicKey = k;
            }
            case "presharedkey" -> {
                b.once(n, "PresharedKey");
                b.presharedKey = key(n, "PresharedKey", value);
            }
            case "endpoint" -> {
                b.once(n, "Endpoint");
                b.endpointLine = n;
                String v = wgValue(n, "Endpoint", value);
                try {
                    b.endpoint = Endpoint.parse(v);
                } catch (IllegalArgumentException e) {
                    throw fail(n, "Endpoint " + MessageText.quote(v) + " is not valid: " + e.getMessage());
                }
            }
            case "allowedips" -> allowedIps(n, b, wgValue(n, "AllowedIPs", value));
            case "persistentkeepalive" -> {
                b.once(n, "PersistentKeepalive");
                String v = wgValue(n, "PersistentKeepalive", value);
                long seconds = v.equalsIgnoreCase("off") ? 0 : Decimal.parse(v, 65535);
                if (seconds < 0) {
                    throw fail(n, "PersistentKeepalive is neither off nor a number of seconds from 0 to 65535: "
                            + MessageText.quote(v));
                }
                b.persistentKeepalive = (int) seconds;
            }
            default -> throw unknownKey(n, key, "[Peer]", PEER_KEYS, INTERFACE_KEYS, "[Interface]");
        }
    }

    private void allowedIps(int n, PeerBuilder b, String value) throws ConfigException {
        for (String entry : value.split(",", -1)) {
            if (entry.isEmpty()) {
                throw fail(n, "AllowedIPs has an empty entry (a stray comma?)");
            }
            if (entry.charAt(0) == '+' || entry.charAt(0) == '-') {
                throw fail(n, "AllowedIPs entry " + MessageText.quote(entry)
                        + " has a '+' or '-' prefix, which only `wg set` understands");
            }
            IpPrefix prefix;
            byte[] address;
            try {
                int slash = entry.indexOf('/');
                address = NumericAddress.parse(slash < 0 ? entry : entry.substring(0, slash));
                int length = slash < 0 ? address.length * 8
                        : NumericAddress.prefixLength(entry.substring(slash + 1), address.length);
                prefix = IpPrefix.of(address, length);
            } catch (IllegalArgumentException e) {
                throw fail(n, "AllowedIPs entry " + MessageText.quote(entry) + " is not an IP prefix: " + e.getMessage());
            }
            if (!Arrays.equals(prefix.address(), address)) {
                warn(n, "AllowedIPs entry " + MessageText.quote(entry) + " has host bits set; it means " + prefix);
            }
            if (b.allowedIps.add(prefix)) {
                Integer other = allowedIpPeerLines.put(prefix, b.line);
                if (other != null && other != b.line) {
                    warn(n, "AllowedIPs " + prefix + " is also given to the [Peer] on line " + other
                            + "; this later peer takes it over");
                }
            }
        }
    }

    private byte[] key(int n, String name, String value) throws ConfigException {
        String v = wgValue(n, name, value);
        byte[] k;
        try {
            k = Keys.fromBase64(v);
        } catch (IllegalArgumentException e) {
            throw fail(n, name + " is not a valid key: " + e.getMessage());
        }
        // 32 bytes leave the last base64 digit before '=' two unused bits; wg insists they are zero
        if ((base64Digit(v.charAt(42)) & 3) != 0) {
            Keys.zero(k);
            throw fail(n, name + " is not a valid key: the character before '=' is not one a 32-byte key can end in");
        }
        return k;
    }

    private static int base64Digit(char c) {
        if (c >= 'A' && c <= 'Z') {
            return c - 'A';
        }
        if (c >= 'a' && c <= 'z') {
            return c - 'a' + 26;
        }
        if (c >= '0' && c <= '9') {
            return c - '0' + 52;
        }
        return c == '+' ? 62 : 63;
    }

    /** wg's own keys: all whitespace removed, and an empty value is an error as in wg. */
    private String wgValue(int n, String name, String trimmedValue) throws ConfigException {
        String v = WgWhitespace.removeAll(trimmedValue);
        if (v.isEmpty()) {
            throw fail(n, name + " has no value");
        }
        return v;
    }

    /** wg's rule: "off", decimal, or lowercase-0x hexadecimal, at most 0xffffffff; -1 if none. */
    private static long fwMark(String v) {
        if (v.equalsIgnoreCase("off")) {
            return 0;
        }
        if (v.length() > 2 && v.startsWith("0x")) {
            String hex = v.substring(2);
            if (hex.length() > 16 || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0 && c < 0x80)) {
                return -1;
            }
            String digits = hex.replaceFirst("^0+(?=.)", "");
            if (digits.length() > 8) {
                return -1;
            }
            return Long.parseLong(digits, 16);
        }
        return Decimal.parse(v, InterfaceSection.MAX_FWMARK);
    }

    /** wg-quick splits Address and DNS on commas and whitespace alike. */
    private static List<String> listEntries(String value) {
        List<String> entries = new ArrayList<>();
        int start = -1;
        for (int i = 0; i <= value.length(); i++) {
            boolean separator = i == value.length() || value.charAt(i) == ',' || WgWhitespace.isSpace(value.charAt(i));
            if (separator) {
                if (start >= 0) {
                    entries.add(value.substring(start, i));
                    start = -1;
                }
            } else if (start < 0) {
                start = i;
            }
        }
        return entries;
    }

    /** wg-quick takes an entry of digits and dots, or with a ':', as a server, anything else as a search domain. */
    private static boolean isDnsEntry(String entry) {
        boolean looksNumeric = entry.indexOf(':') >= 0 || entry.chars().allMatch(c -> (c >= '0' && c <= '9') || c == '.');
        if (looksNumeric) {
            try {
                NumericAddress.parse(entry);
                return true;
            } catch (IllegalArgumentException e) {
                return false;
            }
        }
        return DnsNames.isValid(entry);
    }

    private static boolean isTableName(String value) {
        if (value.length() > 64) {
            return false;
        }
        return value.chars().allMatch(c -> (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '_' || c == '-' || c == '.');
    }

    private static void addHook(List<String> hooks, String command) {
        if (!command.isEmpty()) {
            hooks.add(command);
        }
    }

    private ConfigException unknownKey(int n, String key, String section, List<String> known,
                                       List<String> otherSection, String otherName) {
        for (String k : otherSection) {
            if (k.equalsIgnoreCase(key)) {
                return fail(n, k + " belongs in " + otherName + ", not in " + section);
            }
        }
        for (String k : known) {
            if (key.length() > k.length() && key.regionMatches(true, 0, k, 0, k.length())) {
                return fail(n, "unknown key in " + section + ": it starts with " + k + " but goes on (is the '=' missing?)");
            }
        }
        return fail(n, "unknown key " + keyForMessage(key) + " in " + section);
    }

    private static String keyForMessage(String key) {
        return key.length() <= 32 ? MessageText.quote(key) : "(too long to show)";
    }

    private void warn(int n, String text) {
        warnings.accept(MessageText.oneLine(file) + ":" + n + ": warning: " + MessageText.oneLine(text));
    }

    private ConfigException fail(int n, String problem) {
        return new ConfigException(file, n, problem);
    }

    /** A section's values as read so far, with the line each single-valued key was set on. */
    private abstract class SectionBuilder {
        final int line;
        private final Map<String, Integer> seen = new HashMap<>();

        SectionBuilder(int line) {
            this.line = line;
        }

        void once(int n, String name) throws ConfigException {
            Integer first = seen.putIfAbsent(name, n);
            if (first != null) {
                throw fail(n, name + " is given twice in this section (first on line " + first + ")");
            }
        }
    }

    private final class InterfaceBuilder extends SectionBuilder {
        byte[] privateKey;
        OptionalInt listenPort = OptionalInt.empty();
        OptionalLong fwMark = OptionalLong.empty();
        final List<InterfaceAddress> addresses = new ArrayList<>();
        OptionalInt mtu = OptionalInt.empty();
        final List<String> dns = new ArrayList<>();
        Optional<String> table = Optional.empty();
        final List<String> preUp = new ArrayList<>();
        final List<String> postUp = new ArrayList<>();
        final List<String> preDown = new ArrayList<>();
        final List<String> postDown = new ArrayList<>();
        boolean saveConfig;

        InterfaceBuilder(int line) {
            super(line);
        }

        InterfaceSection build() {
            return new InterfaceSection(privateKey, listenPort, fwMark, addresses, mtu, dns, table,
                    preUp, postUp, preDown, postDown, saveConfig);
        }
    }

    private final class PeerBuilder extends SectionBuilder {
        byte[] publicKey;
        byte[] presharedKey;
        Endpoint endpoint;
        int endpointLine;
        final Set<IpPrefix> allowedIps = new LinkedHashSet<>();
        int persistentKeepalive;

        PeerBuilder(int line) {
            super(line);
        }

        PeerSection build() {
            PeerSection section = new PeerSection(publicKey, Optional.ofNullable(presharedKey),
                    Optional.ofNullable(endpoint), new ArrayList<>(allowedIps), persistentKeepalive,
                    endpoint == null ? 0 : endpointLine);
            Keys.zero(presharedKey);
            return section;
        }
    }
}
