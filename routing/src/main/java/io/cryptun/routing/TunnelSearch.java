package io.cryptun.routing;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.routing.bmx7.Bmx7Limits;
import io.cryptun.routing.bmx7.Bmx7Numbers;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A gateway search with the meaning of bmx7's {@code tunOut=NAME /network=...} option and the
 * same defaults: which announced tunnel networks qualify, and how to rate them.
 *
 * @param name                   bmx7 option instance name ([A-Za-z0-9_.-], under 32 characters)
 * @param network                the searched network
 * @param minPrefixLen           shortest announced prefix accepted; {@link #PREFIX_OF_NETWORK} = the network's length
 * @param maxPrefixLen           longest announced prefix accepted; {@link #PREFIX_OF_NETWORK} = the network's length
 * @param hysteresis             percent bonus for the gateway currently used
 * @param rating                 percent applied to every candidate of this search
 * @param minBandwidth           announced bandwidths at or above this (bit/s, quantized like bmx7) all count as "enough"
 * @param gwName                 only gateways with this hostname, or null
 * @param gwId                   only this gateway, or null
 * @param allowOverlappingPrefix allow more specific routes even when a less specific one has a better metric
 * @param breakOverlappingPrefix let this search's more specific routes win over less specific better ones
 * @param ipMetric               route metric for the chosen routes
 * @param tablePref              ip rule preference of the routing table
 * @param table                  routing table of the chosen routes
 * @param proto                  only announcements of this route type; {@link #PROTO_ANY} matches all
 */
public record TunnelSearch(String name, IpPrefix network, int minPrefixLen, int maxPrefixLen, int hysteresis,
                           int rating, long minBandwidth, String gwName, NodeId gwId, boolean allowOverlappingPrefix,
                           boolean breakOverlappingPrefix, int ipMetric, int tablePref, int table, int proto) {
    public static final int PREFIX_OF_NETWORK = 129;
    public static final int PROTO_ANY = 256;
    public static final int DEFAULT_HYSTERESIS = 20;
    public static final int DEFAULT_RATING = 100;
    public static final int DEFAULT_IP_METRIC = 1024;
    public static final int DEFAULT_TABLE_PREF = 32767;
    public static final int DEFAULT_TABLE = 254;
    public static final int MAX_NAME_LENGTH = Bmx7Limits.MAX_NAME_LENGTH;

    public TunnelSearch {
        checkName(name);
        Objects.requireNonNull(network, "network");
        // every value below is handed to bmx7 as is in prefer and off mode: bmx7's ranges (Bmx7Limits)
        require(Bmx7Limits.checkRange("minPrefixLen", minPrefixLen, Bmx7Limits.MIN_PREFIX_BOUND, Bmx7Limits.MAX_PREFIX_BOUND));
        require(Bmx7Limits.checkRange("maxPrefixLen", maxPrefixLen, Bmx7Limits.MIN_PREFIX_BOUND, Bmx7Limits.MAX_PREFIX_BOUND));
        require(Bmx7Limits.checkRange("hysteresis", hysteresis, 0, Bmx7Limits.MAX_HYSTERESIS));
        require(Bmx7Limits.checkRange("rating", rating, 0, Bmx7Limits.MAX_RATING));
        require(Bmx7Limits.checkBandwidth("minBandwidth", minBandwidth));
        if (gwName != null) {
            require(Bmx7Limits.checkName("gwName", gwName, Bmx7Limits.MAX_HOSTNAME_LENGTH));
        }
        require(Bmx7Limits.checkRange("ipMetric", ipMetric, 0, Bmx7Limits.MAX_IP_METRIC));
        require(Bmx7Limits.checkTableRule(tablePref, table));
        require(Bmx7Limits.checkRange("proto", proto, 0, Bmx7Limits.MAX_PROTO));
    }

    private static void require(String problem) {
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** A search with bmx7's defaults for everything but name and network. */
    public static TunnelSearch of(String name, IpPrefix network) {
        return builder(name, network).build();
    }

    public static Builder builder(String name, IpPrefix network) {
        return new Builder(name, network);
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** True when {@code name} is a valid bmx7 option instance name. */
    public static boolean isValidName(String name) {
        return Bmx7Limits.isValidName(name, MAX_NAME_LENGTH);
    }

    private static void checkName(String name) {
        require(Bmx7Limits.checkName("name", name, MAX_NAME_LENGTH));
    }

    public boolean isIpv4() {
        return network.isIpv4();
    }

    public int effectiveMinPrefixLen() {
        return minPrefixLen == PREFIX_OF_NETWORK ? network.length() : minPrefixLen;
    }

    public int effectiveMaxPrefixLen() {
        return maxPrefixLen == PREFIX_OF_NETWORK ? network.length() : maxPrefixLen;
    }

    /** The bandwidth threshold as bmx7 holds it (on its 8-bit float grid: 1000 becomes 960). */
    public long effectiveMinBandwidth() {
        return Bmx7Numbers.quantizeBandwidth(minBandwidth);
    }

    /**
     * Whether a network announced by gateway {@code gateway} (hostname {@code gatewayName}, may be
     * null) qualifies for this search: same family and protocol, length within the bounds, and the
     * two prefixes agree on their common leading bits.
     */
    public boolean matches(TunNetwork announced, NodeId gateway, String gatewayName) {
        IpPrefix adv = announced.network();
        if (adv.isIpv4() != network.isIpv4()) {
            return false;
        }
        if (proto != PROTO_ANY && proto != announced.protoType()) {
            return false;
        }
        if (adv.length() > effectiveMaxPrefixLen() || adv.length() < effectiveMinPrefixLen()) {
            return false;
        }
        int common = Math.min(adv.length(), network.length());
        if (!sameLeadingBits(adv, network, common)) {
            return false;
        }
        if (gwName != null && !gwName.equals(gatewayName)) {
            return false;
        }
        return gwId == null || gwId.equals(gateway);
    }

    /** The route a qualifying announcement gives: the more specific of the search network and the announcement. */
    public IpPrefix routeFor(IpPrefix announced) {
        return network.length() > announced.length() ? network : announced;
    }

    private static boolean sameLeadingBits(IpPrefix a, IpPrefix b, int bits) {
        for (int i = 0; i < bits; i++) {
            int mask = 0x80 >>> (i & 7);
            if ((a.addressByte(i >>> 3) & mask) != (b.addressByte(i >>> 3) & mask)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The option as given to bmx7 through its control socket, only non-default children included,
     * e.g. {@code tunOut=v4dflt /network=0.0.0.0/0 /maxPrefixLen=0}.
     */
    public String toBmx7Option() {
        StringBuilder sb = new StringBuilder("tunOut=").append(name).append(" /network=").append(network);
        if (minPrefixLen != PREFIX_OF_NETWORK) {
            sb.append(" /minPrefixLen=").append(minPrefixLen);
        }
        if (maxPrefixLen != 128) {
            sb.append(" /maxPrefixLen=").append(maxPrefixLen);
        }
        if (hysteresis != DEFAULT_HYSTERESIS) {
            sb.append(" /hysteresis=").append(hysteresis);
        }
        if (rating != DEFAULT_RATING) {
            sb.append(" /rating=").append(rating);
        }
        if (minBandwidth != Bmx7Numbers.DEFAULT_BANDWIDTH) {
            sb.append(" /minBandwidth=").append(minBandwidth);
        }
        if (gwName != null) {
            sb.append(" /gwName=").append(gwName);
        }
        if (gwId != null) {
            sb.append(" /gwId=").append(gwId);
        }
        if (!allowOverlappingPrefix) {
            sb.append(" /allowOverlappingPrefix=0");
        }
        if (!breakOverlappingPrefix) {
            sb.append(" /breakOverlappingPrefix=0");
        }
        if (ipMetric != DEFAULT_IP_METRIC) {
            sb.append(" /ipMetric=").append(ipMetric);
        }
        if (tablePref != DEFAULT_TABLE_PREF || table != DEFAULT_TABLE) {
            sb.append(" /tableRule=").append(tablePref).append('/').append(table);
        }
        if (proto != PROTO_ANY) {
            sb.append(" /proto=").append(proto);
        }
        return sb.toString();
    }

    /**
     * Parses a search written like bmx7's option, with or without the leading {@code tunOut=}:
     * {@code v4dflt /network=0.0.0.0/0 /maxPrefixLen=0}.
     */
    public static TunnelSearch parseBmx7Option(String text) {
        String[] tokens = text.trim().split(" +");
        String name = tokens[0].startsWith("tunOut=") ? tokens[0].substring("tunOut=".length()) : tokens[0];
        Map<String, String> children = new LinkedHashMap<>();
        for (int i = 1; i < tokens.length; i++) {
            String t = tokens[i];
            int eq = t.indexOf('=');
            if (!t.startsWith("/") || eq < 2) {
                throw new IllegalArgumentException("expected /child=value, got '" + t + "'");
            }
            children.put(t.substring(1, eq), t.substring(eq + 1));
        }
        return fromOption(name, children);
    }

    /** Builds a search from an option instance name and its children (as in bmx7's {@code parameters}). */
    public static TunnelSearch fromOption(String name, Map<String, String> children) {
        String net = children.get("network");
        if (net == null) {
            throw new IllegalArgumentException("tunOut=" + name + " has no /network");
        }
        Builder b = builder(name, IpPrefix.parse(net));
        for (Map.Entry<String, String> e : children.entrySet()) {
            String v = e.getValue();
            switch (e.getKey()) {
                case "network" -> { }
                case "minPrefixLen" -> b.minPrefixLen(parseInt(e.getKey(), v));
                case "maxPrefixLen" -> b.maxPrefixLen(parseInt(e.getKey(), v));
                case "hysteresis" -> b.hysteresis(parseInt(e.getKey(), v));
                case "rating" -> b.rating(parseInt(e.getKey(), v));
                case "minBandwidth" -> b.minBandwidth(parseLong(e.getKey(), v));
                case "gwName" -> b.gwName(v);
                case "gwId" -> b.gwId(NodeId.parse(v));
                case "allowOverlappingPrefix" -> b.allowOverlappingPrefix(parseInt(e.getKey(), v) != 0);
                case "breakOverlappingPrefix" -> b.breakOverlappingPrefix(parseInt(e.getKey(), v) != 0);
                case "ipMetric" -> b.ipMetric(parseInt(e.getKey(), v));
                case "tableRule" -> {
                    int slash = v.indexOf('/');
                    if (slash < 0) {
                        throw new IllegalArgumentException("tableRule must be PREF/TABLE, not '" + v + "'");
                    }
                    b.tableRule(parseInt("tableRule", v.substring(0, slash)), parseInt("tableRule", v.substring(slash + 1)));
                }
                case "proto" -> b.proto(parseInt(e.getKey(), v));
                default -> throw new IllegalArgumentException("tunOut child /" + e.getKey()
                        + " is not supported by cryptun's searches");
            }
        }
        return b.build();
    }

    private static int parseInt(String what, String v) {
        long l = parseLong(what, v);
        if (l > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(what + " too large: " + v);
        }
        return (int) l;
    }

    private static long parseLong(String what, String v) {
        if (v.isEmpty() || v.length() > 15 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException(what + " is not a number: '" + v + "'");
        }
        return Long.parseLong(v);
    }

    @Override
    public String toString() {
        return toBmx7Option();
    }

    /** Fluent construction with bmx7's defaults. */
    public static final class Builder {
        private String name;
        private IpPrefix network;
        private int minPrefixLen = PREFIX_OF_NETWORK;
        private int maxPrefixLen = 128;
        private int hysteresis = DEFAULT_HYSTERESIS;
        private int rating = DEFAULT_RATING;
        private long minBandwidth = Bmx7Numbers.DEFAULT_BANDWIDTH;
        private String gwName;
        private NodeId gwId;
        private boolean allowOverlappingPrefix = true;
        private boolean breakOverlappingPrefix = true;
        private int ipMetric = DEFAULT_IP_METRIC;
        private int tablePref = DEFAULT_TABLE_PREF;
        private int table = DEFAULT_TABLE;
        private int proto = PROTO_ANY;

        private Builder(String name, IpPrefix network) {
            this.name = name;
            this.network = network;
        }

        private Builder(TunnelSearch s) {
            this(s.name, s.network);
            minPrefixLen = s.minPrefixLen;
            maxPrefixLen = s.maxPrefixLen;
            hysteresis = s.hysteresis;
            rating = s.rating;
            minBandwidth = s.minBandwidth;
            gwName = s.gwName;
            gwId = s.gwId;
            allowOverlappingPrefix = s.allowOverlappingPrefix;
            breakOverlappingPrefix = s.breakOverlappingPrefix;
            ipMetric = s.ipMetric;
            tablePref = s.tablePref;
            table = s.table;
            proto = s.proto;
        }

        public Builder name(String v) {
            name = v;
            return this;
        }

        public Builder network(IpPrefix v) {
            network = v;
            return this;
        }

        public Builder minPrefixLen(int v) {
            minPrefixLen = v;
            return this;
        }

        public Builder maxPrefixLen(int v) {
            maxPrefixLen = v;
            return this;
        }

        public Builder hysteresis(int v) {
            hysteresis = v;
            return this;
        }

        public Builder rating(int v) {
            rating = v;
            return this;
        }

        public Builder minBandwidth(long v) {
            minBandwidth = v;
            return this;
        }

        public Builder gwName(String v) {
            gwName = v;
            return this;
        }

        public Builder gwId(NodeId v) {
            gwId = v;
            return this;
        }

        public Builder allowOverlappingPrefix(boolean v) {
            allowOverlappingPrefix = v;
            return this;
        }

        public Builder breakOverlappingPrefix(boolean v) {
            breakOverlappingPrefix = v;
            return this;
        }

        public Builder ipMetric(int v) {
            ipMetric = v;
            return this;
        }

        public Builder tableRule(int pref, int tableId) {
            tablePref = pref;
            table = tableId;
            return this;
        }

        public Builder proto(int v) {
            proto = v;
            return this;
        }

        public TunnelSearch build() {
            return new TunnelSearch(name, network, minPrefixLen, maxPrefixLen, hysteresis, rating, minBandwidth,
                    gwName, gwId, allowOverlappingPrefix, breakOverlappingPrefix, ipMetric, tablePref, table, proto);
        }
    }
}
