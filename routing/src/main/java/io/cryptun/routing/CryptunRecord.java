package io.cryptun.routing;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.noise.crypto.Keys;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The small record a cryptun node publishes through the bmx7 sms plugin ({@code sendSms/cryptun}),
 * so that it travels inside the node's RSA-signed description.
 *
 * <p>Format version 1, one line of printable ASCII, fields separated by single spaces and ended by
 * one {@code '\n'}:
 * <pre>v=1 key=&lt;base64 public key&gt; port=&lt;1..65535&gt; [tun4=&lt;IPv4 prefix&gt;]... [tun6=&lt;IPv6 prefix&gt;]... [psk=&lt;id&gt;[,&lt;id&gt;]...] [other=value]...</pre>
 * {@code v} comes first. {@code key} and {@code port} appear exactly once; {@code tun4}/{@code tun6}
 * (this node's tunnel source addresses) up to {@value #MAX_TUN_ENTRIES} times each, with an explicit
 * length and no host bits. {@code psk}, at most once, lists the ids of the mesh secret generations
 * the node holds (8 lower-case hex digits each, at most {@value #MAX_PSK_IDS}, no repeats, in the
 * node's own order: current first); never the secrets themselves. A record without it is a node
 * that holds no mesh secret. Fields with other names are ignored, so later minor revisions can add
 * fields without breaking v1 readers; an incompatible change takes a new {@code v}. The whole
 * record, newline included, is at most {@value #MAX_BYTES} bytes.
 */
public final class CryptunRecord {
    public static final int VERSION = 1;
    /** Upper bound of a record in bytes, newline included (strictly under 1 KiB). */
    public static final int MAX_BYTES = 1023;
    public static final int MAX_TUN_ENTRIES = 16;
    /** Mesh secret generations a node may announce (current and next, with room to spare). */
    public static final int MAX_PSK_IDS = 4;
    /** Hex digits of a mesh secret generation id. */
    public static final int PSK_ID_LENGTH = 8;
    private static final int MAX_FIELD_NAME = 32;
    private static final int MAX_MESSAGE = 200;

    private final byte[] publicKey;
    private final int port;
    private final List<IpPrefix> tun4;
    private final List<IpPrefix> tun6;
    private final List<String> pskIds;

    private CryptunRecord(byte[] publicKey, int port, List<IpPrefix> tun4, List<IpPrefix> tun6, List<String> pskIds) {
        this.publicKey = publicKey;
        this.port = port;
        this.tun4 = tun4;
        this.tun6 = tun6;
        this.pskIds = pskIds;
    }

    /**
     * A record for this node. Tunnel sources are kept sorted and without duplicates, so equal
     * content always formats to equal bytes.
     *
     * @throws IllegalArgumentException on a bad key, port or prefix, or when the record would not
     *                                  fit {@link #MAX_BYTES}
     */
    public static CryptunRecord of(byte[] publicKey, int port, Collection<IpPrefix> tunnelSources) {
        return of(publicKey, port, tunnelSources, List.of());
    }

    /**
     * A record for this node that also announces the ids of the mesh secret generations it holds
     * (in its own order, current first; empty: it holds none).
     *
     * @throws IllegalArgumentException also on an id that is not {@value #PSK_ID_LENGTH} lower-case hex
     *                                  digits, a repeated id, or more than {@value #MAX_PSK_IDS}
     */
    public static CryptunRecord of(byte[] publicKey, int port, Collection<IpPrefix> tunnelSources,
                                   List<String> pskIds) {
        checkPskIds(pskIds);
        if (publicKey == null || publicKey.length != Keys.KEY_LENGTH || Keys.isZero(publicKey)) {
            throw new IllegalArgumentException("public key must be 32 bytes and not all zero");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " out of range 1..65535");
        }
        TreeSet<IpPrefix> v4 = new TreeSet<>();
        TreeSet<IpPrefix> v6 = new TreeSet<>();
        for (IpPrefix p : tunnelSources) {
            if (IpPrefix.isV4Mapped(p.address())) {
                throw new IllegalArgumentException("IPv4-mapped address not allowed as tunnel source: " + p);
            }
            (p.isIpv4() ? v4 : v6).add(p);
        }
        if (v4.size() > MAX_TUN_ENTRIES || v6.size() > MAX_TUN_ENTRIES) {
            throw new IllegalArgumentException("at most " + MAX_TUN_ENTRIES + " tunnel sources per family");
        }
        CryptunRecord r = new CryptunRecord(publicKey.clone(), port, List.copyOf(v4), List.copyOf(v6),
                List.copyOf(pskIds));
        int size = r.format().length();
        if (size > MAX_BYTES) {
            throw new IllegalArgumentException("record of " + size + " bytes exceeds " + MAX_BYTES);
        }
        return r;
    }

    /** This record with other mesh secret generation ids (see {@link #of(byte[], int, Collection, List)}). */
    public CryptunRecord withPskIds(List<String> ids) {
        return of(publicKey, port, tunnelSources(), ids);
    }

    private static void checkPskIds(List<String> ids) {
        if (ids.size() > MAX_PSK_IDS) {
            throw new IllegalArgumentException("at most " + MAX_PSK_IDS + " mesh secret ids");
        }
        for (int i = 0; i < ids.size(); i++) {
            if (!isPskId(ids.get(i))) {
                throw new IllegalArgumentException("'" + ids.get(i) + "' is not a mesh secret id ("
                        + PSK_ID_LENGTH + " lower-case hex digits)");
            }
            if (ids.subList(0, i).contains(ids.get(i))) {
                throw new IllegalArgumentException("mesh secret id " + ids.get(i) + " appears twice");
            }
        }
    }

    /** True when {@code text} is a mesh secret generation id: {@value #PSK_ID_LENGTH} lower-case hex digits. */
    public static boolean isPskId(String text) {
        if (text == null || text.length() != PSK_ID_LENGTH) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    public static CryptunRecord parse(String text) throws RecordFormatException {
        return parse(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Parses a record; see the class comment for what is accepted. */
    public static CryptunRecord parse(byte[] data) throws RecordFormatException {
        String[] tokens = checkedLine(data).split(" ", -1);
        Fields fields = new Fields();
        for (int i = 0; i < tokens.length; i++) {
            String token = tokens[i];
            if (token.isEmpty()) {
                throw malformed("fields must be separated by single spaces");
            }
            int eq = token.indexOf('=');
            if (eq <= 0) {
                throw malformed("field " + (i + 1) + " is not name=value");
            }
            String name = token.substring(0, eq);
            String value = token.substring(eq + 1);
            if (i == 0) {
                checkVersion(name, value);
            } else {
                fields.add(name, value);
            }
        }
        return fields.record();
    }

    /** The record's one line without its newline, once size, newline and printable ASCII are checked. */
    private static String checkedLine(byte[] data) throws RecordFormatException {
        if (data.length > MAX_BYTES) {
            throw new RecordFormatException(RecordFormatException.Problem.OVERSIZED,
                    "record of " + data.length + " bytes exceeds " + MAX_BYTES);
        }
        if (data.length == 0 || data[data.length - 1] != '\n') {
            throw new RecordFormatException(RecordFormatException.Problem.INCOMPLETE,
                    data.length == 0 ? "record is empty" : "record has no terminating newline");
        }
        for (int i = 0; i < data.length - 1; i++) {
            int b = data[i] & 0xff;
            if (b < 0x20 || b > 0x7e) {
                throw malformed("byte 0x" + Integer.toHexString(b) + " at offset " + i + " is not printable ASCII");
            }
        }
        return new String(data, 0, data.length - 1, StandardCharsets.US_ASCII);
    }

    /** The first field: {@code v=} with the one version this reader knows. */
    private static void checkVersion(String name, String value) throws RecordFormatException {
        if (!name.equals("v")) {
            throw malformed("record must start with v=");
        }
        int version = parseDecimal(value, 9);
        if (version != VERSION) {
            throw new RecordFormatException(RecordFormatException.Problem.UNSUPPORTED_VERSION,
                    "record version '" + value + "' is not supported (only " + VERSION + ")");
        }
    }

    /** The fields after {@code v=}, each checked as it comes (repeats, ranges, limits). */
    private static final class Fields {
        private byte[] key;
        private int port = -1;
        private final List<IpPrefix> sources = new ArrayList<>();
        private final TreeSet<IpPrefix> seen = new TreeSet<>();
        private int v4;
        private int v6;
        private List<String> pskIds;

        void add(String name, String value) throws RecordFormatException {
            switch (name) {
                case "v" -> throw malformed("v= appears twice");
                case "key" -> key(value);
                case "port" -> port(value);
                case "tun4", "tun6" -> source(name, value);
                case "psk" -> psk(value);
                default -> checkUnknownFieldName(name);
            }
        }

        private void key(String value) throws RecordFormatException {
            if (key != null) {
                throw malformed("key= appears twice");
            }
            try {
                key = Keys.fromBase64(value);
            } catch (IllegalArgumentException e) {
                throw malformed("key: " + e.getMessage());
            }
            if (Keys.isZero(key)) {
                throw malformed("key is all zero");
            }
        }

        private void port(String value) throws RecordFormatException {
            if (port >= 0) {
                throw malformed("port= appears twice");
            }
            port = parseDecimal(value, 5);
            if (port < 1 || port > 65535) {
                throw malformed("port " + value + " out of range 1..65535");
            }
        }

        private void source(String name, String value) throws RecordFormatException {
            IpPrefix p = parseSource(name, value);
            if (!seen.add(p)) {
                throw malformed(name + "=" + value + " appears twice");
            }
            if (p.isIpv4() ? ++v4 > MAX_TUN_ENTRIES : ++v6 > MAX_TUN_ENTRIES) {
                throw malformed("more than " + MAX_TUN_ENTRIES + " " + name + " entries");
            }
            sources.add(p);
        }

        private void psk(String value) throws RecordFormatException {
            if (pskIds != null) {
                throw malformed("psk= appears twice");
            }
            pskIds = List.of(value.split(",", -1));
            try {
                checkPskIds(pskIds);
            } catch (IllegalArgumentException e) {
                throw malformed("psk: " + e.getMessage());
            }
        }

        CryptunRecord record() throws RecordFormatException {
            if (key == null) {
                throw malformed("key= is missing");
            }
            if (port < 0) {
                throw malformed("port= is missing");
            }
            return of(key, port, sources, pskIds == null ? List.of() : pskIds);
        }
    }

    private static IpPrefix parseSource(String name, String value) throws RecordFormatException {
        int slash = value.indexOf('/');
        if (slash < 0) {
            throw malformed(name + " needs an explicit prefix length: '" + value + "'");
        }
        if (value.length() > slash + 2 && value.charAt(slash + 1) == '0') {
            throw malformed(name + " prefix length has a leading zero: '" + value + "'");
        }
        IpPrefix p;
        try {
            p = IpPrefix.parse(value);
        } catch (IllegalArgumentException e) {
            throw malformed(name + ": " + e.getMessage());
        }
        boolean wantV4 = name.equals("tun4");
        if (p.isIpv4() != wantV4 || IpPrefix.isV4Mapped(p.address())) {
            throw malformed(name + " holds a prefix of the wrong family: '" + value + "'");
        }
        byte[] written = IpPrefix.parseNumericAddress(value.substring(0, slash));
        if (!Arrays.equals(written, p.address())) {
            throw malformed(name + " has host bits set beyond its length: '" + value + "'");
        }
        return p;
    }

    private static void checkUnknownFieldName(String name) throws RecordFormatException {
        // unknown fields are ignored, but only if they look like fields a later version could define
        if (name.length() > MAX_FIELD_NAME) {
            throw malformed("field name too long");
        }
        char first = name.charAt(0);
        if (first < 'a' || first > 'z') {
            throw malformed("field name '" + name + "' must start with a lower-case letter");
        }
        for (int i = 1; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.')) {
                throw malformed("field name '" + name + "' has a character outside [a-z0-9_.-]");
            }
        }
    }

    private static int parseDecimal(String value, int maxDigits) throws RecordFormatException {
        if (value.isEmpty() || value.length() > maxDigits || (value.length() > 1 && value.charAt(0) == '0')) {
            throw malformed("'" + value + "' is not a plain decimal number");
        }
        for (int i = 0; i < value.length(); i++) {
            if (value.charAt(i) < '0' || value.charAt(i) > '9') {
                throw malformed("'" + value + "' is not a plain decimal number");
            }
        }
        return Integer.parseInt(value);
    }

    private static RecordFormatException malformed(String message) {
        // messages quote the sender's values and end up in logs: keep them short
        String m = message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE) + "…" : message;
        return new RecordFormatException(RecordFormatException.Problem.MALFORMED, m);
    }

    /** The record as published: one line ending in '\n'. */
    public String format() {
        StringBuilder sb = new StringBuilder(128);
        sb.append("v=").append(VERSION).append(" key=").append(Keys.toBase64(publicKey)).append(" port=").append(port);
        for (IpPrefix p : tun4) {
            sb.append(" tun4=").append(p);
        }
        for (IpPrefix p : tun6) {
            sb.append(" tun6=").append(p);
        }
        if (!pskIds.isEmpty()) {
            sb.append(" psk=").append(String.join(",", pskIds));
        }
        return sb.append('\n').toString();
    }

    public byte[] toBytes() {
        return format().getBytes(StandardCharsets.US_ASCII);
    }

    public byte[] publicKey() {
        return publicKey.clone();
    }

    /** True when this record announces exactly {@code key}. */
    public boolean hasPublicKey(byte[] key) {
        return Arrays.equals(publicKey, key);
    }

    public int port() {
        return port;
    }

    /** IPv4 tunnel source prefixes, sorted. */
    public List<IpPrefix> tun4() {
        return tun4;
    }

    /** IPv6 tunnel source prefixes, sorted. */
    public List<IpPrefix> tun6() {
        return tun6;
    }

    /**
     * The ids of the mesh secret generations the node holds, in its own order (current first);
     * empty when it holds none.
     */
    public List<String> pskIds() {
        return pskIds;
    }

    /** All tunnel source prefixes, IPv4 first, each family sorted. */
    public List<IpPrefix> tunnelSources() {
        List<IpPrefix> all = new ArrayList<>(tun4.size() + tun6.size());
        all.addAll(tun4);
        all.addAll(tun6);
        return List.copyOf(all);
    }

    /** True when this node has a tunnel source of the given family, so it can use tunnels of it. */
    public boolean hasSourceOfFamily(boolean ipv4) {
        return !(ipv4 ? tun4 : tun6).isEmpty();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CryptunRecord r && r.port == port && Arrays.equals(r.publicKey, publicKey)
                && r.tun4.equals(tun4) && r.tun6.equals(tun6) && r.pskIds.equals(pskIds);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(publicKey), port, tun4, tun6, pskIds);
    }

    @Override
    public String toString() {
        return "CryptunRecord[key=" + Keys.shortLabel(publicKey) + " port=" + port + " tun4=" + tun4 + " tun6=" + tun6
                + (pskIds.isEmpty() ? "" : " psk=" + pskIds) + "]";
    }
}
