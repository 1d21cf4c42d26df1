package io.cryptun.cli.mesh;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.routing.NodeId;
import io.cryptun.routing.TunnelSearch;
import io.cryptun.routing.mesh.OfferedNetwork;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The value syntax of {@code cryptun mesh}'s options. Searches and offers are written as
 * {@code NAME=NETWORK[,CHILD=VALUE]...}, with bmx7's own child option names (so an IPv6 network's
 * colons need no escaping): {@code --tun-out v4any=10.0.0.0/8,maxPrefixLen=24} means bmx7's
 * {@code tunOut=v4any /network=10.0.0.0/8 /maxPrefixLen=24}.
 */
public final class MeshOptions {
    /**
     * Searches without {@code tableRule} put their routes in this table, looked up by a rule of
     * this preference: after bmx7's own rule (70/70) that routes the WireGuard endpoints, before main.
     * Both inside bmx7's ranges (3..65535 / 1..254, {@link io.cryptun.routing.bmx7.Bmx7Limits}), since
     * prefer and off mode hand the searches to bmx7 with this tableRule, and clear of the tables
     * bmx7 and the kernel use themselves (70, 253..255).
     */
    public static final int DEFAULT_TABLE_PREF = 32765;
    public static final int DEFAULT_TABLE = 171;
    /** bmx7's default for {@code tunIn /bandwidth} (bit/s). */
    public static final long DEFAULT_BANDWIDTH = 1000;

    private MeshOptions() {
    }

    /** {@code NAME=NETWORK[,CHILD=VALUE]...} as a search; unknown children and bad values are refused. */
    public static TunnelSearch tunOut(String spec) {
        Map<String, String> children = new LinkedHashMap<>();
        String name = nameAndChildren(spec, children);
        children.putIfAbsent("tableRule", DEFAULT_TABLE_PREF + "/" + DEFAULT_TABLE);
        return TunnelSearch.fromOption(name, children);
    }

    /** {@code NAME=NETWORK[,bandwidth=BITS]} as an offered network. */
    public static OfferedNetwork tunIn(String spec) {
        Map<String, String> children = new LinkedHashMap<>();
        String name = nameAndChildren(spec, children);
        long bandwidth = DEFAULT_BANDWIDTH;
        for (Map.Entry<String, String> e : children.entrySet()) {
            switch (e.getKey()) {
                case "network" -> { }
                case "bandwidth" -> bandwidth = positive("bandwidth", e.getValue());
                default -> throw new IllegalArgumentException("unknown setting '" + e.getKey() + "' (only bandwidth)");
            }
        }
        return new OfferedNetwork(name, prefix(children.get("network")), bandwidth);
    }

    private static String nameAndChildren(String spec, Map<String, String> children) {
        String[] parts = spec.split(",", -1);
        int eq = parts[0].indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("expected NAME=NETWORK[,SETTING=VALUE]...");
        }
        String name = parts[0].substring(0, eq);
        String badName = io.cryptun.routing.bmx7.Bmx7Limits.checkName("name", name, TunnelSearch.MAX_NAME_LENGTH);
        if (badName != null) {
            throw new IllegalArgumentException(badName);
        }
        children.put("network", prefix(parts[0].substring(eq + 1)).toString());
        for (String p : Arrays.asList(parts).subList(1, parts.length)) {
            int e = p.indexOf('=');
            if (e <= 0 || e == p.length() - 1) {
                throw new IllegalArgumentException("'" + p + "' is not SETTING=VALUE");
            }
            if (children.put(p.substring(0, e), p.substring(e + 1)) != null) {
                throw new IllegalArgumentException("'" + p.substring(0, e) + "' given twice");
            }
        }
        return name;
    }

    /** A network prefix with an explicit length and no host bits set. */
    public static IpPrefix prefix(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("'" + text + "' needs a prefix length");
        }
        IpPrefix p = IpPrefix.parse(text);
        if (!Arrays.equals(IpPrefix.parseNumericAddress(text.substring(0, slash)), p.address())) {
            throw new IllegalArgumentException("'" + text + "' has host bits set (did you mean " + p + "?)");
        }
        return p;
    }

    /** A tunnel source address of the given family ({@code --tun4}, {@code --tun6}). */
    public static IpPrefix source(String text, boolean ipv4) {
        IpPrefix p = prefix(text);
        if (p.isIpv4() != ipv4) {
            throw new IllegalArgumentException("'" + text + "' is not an " + (ipv4 ? "IPv4" : "IPv6") + " prefix");
        }
        return p;
    }

    public static NodeId nodeId(String text) {
        if (!NodeId.isNodeIdText(text)) {
            throw new IllegalArgumentException("'" + text + "' is not a bmx7 node id (56 hex digits, see bmx7 -c show=keys)");
        }
        return NodeId.parse(text);
    }

    private static long positive(String what, String v) {
        if (v.isEmpty() || v.length() > 15 || !v.chars().allMatch(c -> c >= '0' && c <= '9') || Long.parseLong(v) < 1) {
            throw new IllegalArgumentException(what + " must be a positive number, not '" + v + "'");
        }
        return Long.parseLong(v);
    }
}
