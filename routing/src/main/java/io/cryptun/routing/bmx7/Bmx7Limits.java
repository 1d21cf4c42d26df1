package io.cryptun.routing.bmx7;

/**
 * The ranges bmx7 accepts for what cryptun hands to it through its control socket, taken from
 * bmx7's source (master 9020896; file and macro named beside each value). bmx7 refuses anything
 * outside them with an {@code ERROR} reply and keeps nothing, so cryptun checks every value
 * against them when it starts, and the bmx7 stand-in used by the tests refuses what bmx7 refuses.
 *
 * <p>Each {@code check...} method returns null for a value bmx7 accepts, else a sentence that
 * names the setting and bmx7's range, for the caller to prefix with the option it came from.
 */
public final class Bmx7Limits {
    /** Option instance names (tunIn, tunOut): {@code NETWORK_NAME_LEN} 32 with the NUL (src/redist.h). */
    public static final int MAX_NAME_LENGTH = 31;
    /** sms names: {@code MAX_SMS_NAME_LEN} 16 with the NUL (src/lib/bmx7_sms/sms.h). */
    public static final int MAX_SMS_NAME_LENGTH = 15;
    /** {@code /gwName}: {@code MAX_HOSTNAME_LEN} (src/bmx.h), checked with {@code strlen > 64} in tun.c. */
    public static final int MAX_HOSTNAME_LENGTH = 64;

    /** {@code /tableRule} preference: {@code MIN_IP_RULE_TUN}..{@code MAX_IP_RULE_TUN} = 3..U16_MAX (src/ip.h). */
    public static final int MIN_RULE_PREF = 3;
    public static final int MAX_RULE_PREF = 65535;
    /** {@code /tableRule} table: {@code MIN_IP_TABLE}..{@code MAX_IP_TABLE} = 1..254 (src/ip.h, MAX_IP_TABLE_TUN). */
    public static final int MIN_TABLE = 1;
    public static final int MAX_TABLE = 254;
    /**
     * bmx7's own rule and table for the mesh's primary addresses ({@code tablePrefHnas}/{@code tableHnas},
     * default 70, src/ip.h): a search's preference must be above it and its table another one
     * (opt_tun_search in src/lib/bmx7_tun/tun.c).
     */
    public static final int HNA_RULE_PREF = 70;
    public static final int HNA_TABLE = 70;

    /** {@code /minPrefixLen}, {@code /maxPrefixLen}: {@code MIN_TUN_OUT_PREFIX}..{@code MAX_TUN_OUT_PREFIX} (src/tun.h). */
    public static final int MIN_PREFIX_BOUND = 0;
    public static final int MAX_PREFIX_BOUND = 129;
    /** {@code /hysteresis}: 0..XMIN(100000, UMETRIC_MULTIPLY_MAX - 100) (src/tun.h). */
    public static final int MAX_HYSTERESIS = 100_000;
    /**
     * {@code /rating}: 0..XMIN(INT32_MAX, UMETRIC_MULTIPLY_MAX - MAX_TUN_OUT_HYSTERESIS) (src/tun.h), with
     * {@code UMETRIC_MULTIPLY_MAX} = 2^64-1 >> 38 = 67108863 (src/node.h).
     */
    public static final int MAX_RATING = 67_108_863 - MAX_HYSTERESIS;
    /** {@code /ipMetric}: {@code MIN_TUN_OUT_IPMETRIC}..{@code MAX_TUN_OUT_IPMETRIC} = 0..INT32_MAX (src/tun.h). */
    public static final long MAX_IP_METRIC = Integer.MAX_VALUE;
    /**
     * {@code tunIn /bandwidth} and {@code tunOut /minBandwidth}: {@code MIN_TUN_IN_BW}..{@code MAX_TUN_IN_BW} =
     * UMETRIC_FM8_MIN..UMETRIC_MAX = 72..{@link Bmx7Numbers#UMETRIC_MAX} bit/s (src/tun.h, src/node.h).
     */
    public static final long MIN_BANDWIDTH = (1L << 6) + (1L << 3);
    public static final long MAX_BANDWIDTH = Bmx7Numbers.UMETRIC_MAX;
    /** {@code /proto}: {@code MIN_TUN_PROTO_SEARCH}..{@code TYP_TUN_PROTO_ALL} = 0..256, 256 = any (src/ip.h). */
    public static final int MAX_PROTO = 256;
    /** {@code /gwId}: a node id, 28 bytes as 56 hex digits (hexStrToMem strict, src/lib/bmx7_tun/tun.c). */
    public static final int GW_ID_HEX_DIGITS = 56;

    private Bmx7Limits() {
    }

    /**
     * bmx7's {@code validate_name_string} (src/tools.c): letters, digits, {@code - _ .}, no leading
     * or trailing {@code .}, and shorter than the field.
     */
    public static boolean isValidName(String name, int maxLength) {
        if (name == null || name.isEmpty() || name.length() > maxLength) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_'
                    || (c == '.' && i != 0 && i != name.length() - 1);
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    public static String checkName(String what, String name, int maxLength) {
        return isValidName(name, maxLength) ? null : what + " '" + name + "' is not a bmx7 name (1.." + maxLength
                + " of A-Z a-z 0-9 - _ ., no '.' first or last)";
    }

    /** {@code /tableRule=PREF/TABLE} as opt_tun_search in src/lib/bmx7_tun/tun.c checks it. */
    public static String checkTableRule(int pref, int table) {
        if (pref < MIN_RULE_PREF || pref > MAX_RULE_PREF) {
            return "tableRule preference " + pref + " is outside bmx7's range " + MIN_RULE_PREF + ".." + MAX_RULE_PREF;
        }
        if (table < MIN_TABLE || table > MAX_TABLE) {
            return "tableRule table " + table + " is outside bmx7's range " + MIN_TABLE + ".." + MAX_TABLE;
        }
        // bmx7's own rule routes the mesh's primary addresses, WireGuard's endpoints among them; a
        // tunnel table consulted before it could swallow them in a loop
        if (pref <= HNA_RULE_PREF || table == HNA_TABLE) {
            return "tableRule " + pref + "/" + table + ": bmx7 wants the preference above " + HNA_RULE_PREF
                    + " (its tablePrefHnas) and a table other than " + HNA_TABLE + " (its tableHnas)";
        }
        return null;
    }

    public static String checkRange(String what, long value, long min, long max) {
        return value >= min && value <= max ? null : what + " " + value + " is outside bmx7's range " + min + ".." + max;
    }

    public static String checkBandwidth(String what, long bitsPerSecond) {
        return checkRange(what, bitsPerSecond, MIN_BANDWIDTH, MAX_BANDWIDTH);
    }
}
