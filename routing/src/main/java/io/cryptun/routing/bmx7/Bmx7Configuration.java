package io.cryptun.routing.bmx7;

import io.cryptun.noise.allowedips.IpPrefix;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * bmx7's configuration as bmx7 keeps it, and the option requests cryptun sends through its
 * control socket ({@code syncSms}, {@code tunIn}, {@code tunOut}, and their {@code -NAME}
 * removals) applied the way bmx7 applies them: what bmx7 refuses is refused (with an
 * {@code ERROR} reply and nothing kept), a repeat answers just {@code $}, a change echoes only the
 * children that changed, removing what is not there succeeds. The rules are bmx7's (master
 * 9020896), each with its place in bmx7's source, and they were checked against the real daemon
 * on the same requests (cryptun's Bmx7StandInConformanceIT).
 *
 * <p>Used where cryptun needs a bmx7 it can hold in its hand: the stand-ins of the tests answer
 * from it and write its {@link #parametersJson()} as the json plugin does. Other options are
 * refused as unknown (bmx7 knows many more; the stand-ins do not need them). Not thread-safe.
 */
public final class Bmx7Configuration {
    /** bmx7's tunnel device name prefix ({@code tunDevName}, default {@code DEF_TUN_NAME_PREFIX} "X7", src/hna.h). */
    private static final String TUN_NAME_PREFIX = "X7";
    /** Children bmx7's tun plugin registers for tunIn (src/lib/bmx7_tun/tun.c, option table). */
    private static final Set<String> TUN_IN_CHILDREN = Set.of("network", "bandwidth", "tunDev", "advProto");
    /** Children registered for tunOut (same table). */
    private static final Set<String> TUN_OUT_CHILDREN = Set.of("network", "srcNet", "proto", "setProto", "srcType",
            "gwName", "minPrefixLen", "maxPrefixLen", "allowOverlappingPrefix", "breakOverlappingPrefix", "gwId",
            "hysteresis", "rating", "minBandwidth", "ipMetric", "tableRule", "exportOnly", "exportDistance");
    /** Children whose values bmx7's generic check ({@code is_valid_opt_ival}, src/control.c) bounds: min, max. */
    private static final Map<String, long[]> INT_RANGES = Map.ofEntries(
            Map.entry("proto", new long[] {0, Bmx7Limits.MAX_PROTO}),
            Map.entry("setProto", new long[] {0, Bmx7Limits.MAX_PROTO - 1}),
            Map.entry("advProto", new long[] {0, Bmx7Limits.MAX_PROTO - 1}),
            Map.entry("srcType", new long[] {0, 3}),
            Map.entry("minPrefixLen", new long[] {Bmx7Limits.MIN_PREFIX_BOUND, Bmx7Limits.MAX_PREFIX_BOUND}),
            Map.entry("maxPrefixLen", new long[] {Bmx7Limits.MIN_PREFIX_BOUND, Bmx7Limits.MAX_PREFIX_BOUND}),
            Map.entry("allowOverlappingPrefix", new long[] {0, 1}),
            Map.entry("breakOverlappingPrefix", new long[] {0, 1}),
            Map.entry("hysteresis", new long[] {0, Bmx7Limits.MAX_HYSTERESIS}),
            Map.entry("rating", new long[] {0, Bmx7Limits.MAX_RATING}),
            Map.entry("ipMetric", new long[] {0, Bmx7Limits.MAX_IP_METRIC}),
            Map.entry("exportOnly", new long[] {0, 1}),
            Map.entry("exportDistance", new long[] {0, 256}));
    private static final int DEFAULT_TABLE = 254;
    private static final int DEFAULT_RULE = 32767;

    /**
     * bmx7's answer to one request.
     *
     * @param accepted true when bmx7 would answer with a final {@code $}
     * @param changed  true when the configuration changed
     * @param text     the reply as bmx7 writes it
     */
    public record Reply(boolean accepted, boolean changed, String text) {
        public byte[] bytes() {
            return text.getBytes(StandardCharsets.US_ASCII);
        }
    }

    /** option name to its instances (value to children), in bmx7's order of appearance. */
    private final Map<String, Map<String, Map<String, String>>> options = new LinkedHashMap<>();

    /** An empty configuration. */
    public Bmx7Configuration() {
    }

    /** Starts from a configuration as bmx7 shows it (its command line's options, say). */
    public Bmx7Configuration(Bmx7Options start) {
        reset(start);
    }

    /** What a restart does: back to {@code start}, everything set through the socket forgotten. */
    public void reset(Bmx7Options start) {
        options.clear();
        start.instances().forEach((name, list) -> {
            Map<String, Map<String, String>> m = new LinkedHashMap<>();
            for (Bmx7Options.Instance i : list) {
                m.put(i.value(), new LinkedHashMap<>(i.children()));
            }
            options.put(name, m);
        });
    }

    public Bmx7Options snapshot() {
        Map<String, List<Bmx7Options.Instance>> out = new LinkedHashMap<>();
        options.forEach((name, m) -> {
            if (!m.isEmpty()) {
                List<Bmx7Options.Instance> l = new ArrayList<>();
                m.forEach((v, c) -> l.add(new Bmx7Options.Instance(v, c)));
                out.put(name, l);
            }
        });
        return new Bmx7Options(out);
    }

    // ------------------------------------------------------------------ applying requests

    /** Applies one request (the arguments as sent, without the {@code "  #"} end marker). */
    public Reply apply(String request) {
        String[] tokens = request.trim().split(" +");
        int eq = tokens[0].indexOf('=');
        if (tokens[0].isEmpty() || eq <= 0) {
            return refused(null, tokens[0]);
        }
        String option = tokens[0].substring(0, eq);
        String value = tokens[0].substring(eq + 1);
        Map<String, String> given = new LinkedHashMap<>();
        for (int i = 1; i < tokens.length; i++) {
            String t = tokens[i];
            int e = t.indexOf('=');
            if (!t.startsWith("/") || e < 2) {
                return refused(null, t);
            }
            given.put(t.substring(1, e), t.substring(e + 1));
        }
        Set<String> allowed = switch (option) {
            case "syncSms" -> Set.of();
            case "tunIn" -> TUN_IN_CHILDREN;
            case "tunOut" -> TUN_OUT_CHILDREN;
            default -> null;
        };
        if (allowed == null) {
            return refused(null, tokens[0]);
        }
        for (String c : given.keySet()) {
            if (!allowed.contains(c)) {
                return refused(null, c + "=" + given.get(c));
            }
        }
        Map<String, Map<String, String>> instances = options.computeIfAbsent(option, k -> new LinkedHashMap<>());
        if (value.startsWith("-")) {
            // removing what is not there is no error (bmx7 answers just $)
            if (instances.remove(value.substring(1)) == null) {
                return new Reply(true, false, "$");
            }
            return new Reply(true, true, String.format("INFO  : --%-22s -", option) + "\n$");
        }
        // validate_name_string on the instance name, within MAX_SMS_NAME_LEN (sms.c) and NETWORK_NAME_LEN
        // (opt_tun_search); opt_tun_in checks no length (a 32-character tunIn name is accepted)
        int maxLength = switch (option) {
            case "syncSms" -> Bmx7Limits.MAX_SMS_NAME_LENGTH;
            case "tunOut" -> Bmx7Limits.MAX_NAME_LENGTH;
            default -> Integer.MAX_VALUE;
        };
        if (!Bmx7Limits.isValidName(value, maxLength)) {
            return refused(request, value);
        }
        Map<String, String> normalized = new LinkedHashMap<>();
        for (Map.Entry<String, String> c : given.entrySet()) {
            String[] problem = new String[1];
            String v = normalize(option, value, c.getKey(), c.getValue(), problem);
            if (v == null) {
                return refused(request, problem[0] != null ? problem[0] : c.getValue(), firstLine(option, c.getKey(), c.getValue()));
            }
            normalized.put(c.getKey(), v);
        }
        Map<String, String> current = instances.get(value);
        StringBuilder reply = new StringBuilder();
        if (current == null) {
            instances.put(value, new LinkedHashMap<>(normalized));
            reply.append(String.format("INFO  : --%-22s  %-30s", option, value)).append('\n');
            normalized.forEach((k, v) -> appendChild(reply, option, value, k, v));
            return new Reply(true, true, reply.append('$').toString());
        }
        for (Map.Entry<String, String> c : normalized.entrySet()) {
            if (!c.getValue().equals(current.get(c.getKey()))) {
                current.put(c.getKey(), c.getValue());
                appendChild(reply, option, value, c.getKey(), c.getValue());
            }
        }
        return new Reply(true, reply.length() > 0, reply.append('$').toString());
    }

    private static void appendChild(StringBuilder sb, String option, String value, String child, String v) {
        sb.append(String.format("INFO  : --%-22s  %-30s  /%-24s%-30s", option, value, child, v)).append('\n');
    }

    /** bmx7's specific first line for some refusals (opt_tun_search), or null. */
    private String firstLine(String option, String child, String v) {
        if (!option.equals("tunOut") || !child.equals("tableRule")) {
            return null;
        }
        return "ERROR opt_tun_search: Invalid tunOut=(null) /tableRule=" + v + " ! Format must be <PREF>/<TABLE> with ranges ["
                + Bmx7Limits.MIN_RULE_PREF + ".." + Bmx7Limits.MAX_RULE_PREF + "]>/[" + Bmx7Limits.MIN_TABLE + ".."
                + Bmx7Limits.MAX_TABLE + "]";
    }

    private static Reply refused(String request, String argument) {
        return refused(request, argument, null);
    }

    private static Reply refused(String request, String argument, String first) {
        StringBuilder sb = new StringBuilder();
        if (first != null) {
            sb.append(first).append('\n');
        }
        if (request != null) {
            sb.append("ERROR : --").append(request.trim().replaceFirst("=", "  ")).append("  #  Failed !\n");
        }
        sb.append("ERROR apply_stream_opts: invalid argument: ").append(argument).append('\n');
        return new Reply(false, false, sb.toString());
    }

    /**
     * A child value as bmx7 stores it, or null when bmx7 refuses it ({@code problem[0]} may then
     * say why, for the reply).
     */
    private String normalize(String option, String name, String child, String v, String[] problem) {
        long[] range = INT_RANGES.get(child);
        if (range != null) {
            return validIval(v, range[0], range[1]) ? v : null;
        }
        switch (child) {
            case "network", "srcNet" -> {
                // str2netw (src/ip.c): an address with an explicit length and no host bits
                IpPrefix p = network(v);
                return p == null ? null : p.toString();
            }
            case "bandwidth", "minBandwidth" -> {
                // strtoull, the whole value, MIN_TUN_IN_BW..MAX_TUN_IN_BW (opt_tun_in, opt_tun_search)
                BigInteger b = unsignedNumber(v);
                return b != null && b.compareTo(BigInteger.valueOf(Bmx7Limits.MIN_BANDWIDTH)) >= 0
                        && b.compareTo(BigInteger.valueOf(Bmx7Limits.MAX_BANDWIDTH)) <= 0 ? v : null;
            }
            case "gwName" -> {
                return v.length() <= Bmx7Limits.MAX_HOSTNAME_LENGTH && Bmx7Limits.isValidName(v, Bmx7Limits.MAX_HOSTNAME_LENGTH)
                        ? v : null;
            }
            case "gwId" -> {
                // hexStrToMem(strict) (src/tools.c): upper-case hex, at most 56 digits, right-aligned
                if (v.isEmpty() || v.length() > Bmx7Limits.GW_ID_HEX_DIGITS || !v.chars().allMatch(c -> (c >= '0' && c <= '9')
                        || (c >= 'A' && c <= 'F'))) {
                    return null;
                }
                return "0".repeat(Bmx7Limits.GW_ID_HEX_DIGITS - v.length()) + v;
            }
            case "tunDev" -> {
                return v.length() <= Bmx7Limits.MAX_NAME_LENGTH && Bmx7Limits.isValidName(v, Bmx7Limits.MAX_NAME_LENGTH)
                        && v.startsWith(TUN_NAME_PREFIX) ? v : null;
            }
            case "tableRule" -> {
                return tableRule(name, v, problem) ? v : null;
            }
            default -> {
                return null;
            }
        }
    }

    /**
     * opt_tun_search's tableRule check: both numbers read like strtol (leading digits), bmx7's
     * ranges, above its own rule and table, and each table paired with one preference across all
     * tunOuts (those without a tableRule count with bmx7's default 32767/254). A value without
     * {@code /} makes the real daemon dereference a null pointer; here it is refused.
     */
    private boolean tableRule(String name, String v, String[] problem) {
        int slash = v.indexOf('/');
        if (slash < 0) {
            return false;
        }
        long pref = strtol(v.substring(0, slash));
        long table = strtol(v.substring(slash + 1));
        String bad = Bmx7Limits.checkTableRule((int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, pref)),
                (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, table)));
        if (bad != null) {
            problem[0] = v;
            return false;
        }
        for (Map.Entry<String, Map<String, String>> other : options.getOrDefault("tunOut", Map.of()).entrySet()) {
            if (other.getKey().equals(name)) {
                continue;
            }
            long[] rt = ruleAndTable(other.getValue().get("tableRule"));
            if ((rt[1] == table) != (rt[0] == pref)) {
                problem[0] = v;
                return false;
            }
        }
        return true;
    }

    private static long[] ruleAndTable(String tableRule) {
        if (tableRule == null) {
            return new long[] {DEFAULT_RULE, DEFAULT_TABLE};
        }
        int slash = tableRule.indexOf('/');
        return new long[] {strtol(tableRule.substring(0, slash)), strtol(tableRule.substring(slash + 1))};
    }

    /** C's strtol on base 10: optional sign, the leading digits, 0 when there are none. */
    private static long strtol(String s) {
        int i = 0;
        boolean negative = false;
        if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
            negative = s.charAt(i) == '-';
            i++;
        }
        long n = 0;
        for (; i < s.length() && Character.isDigit(s.charAt(i)) && n < Integer.MAX_VALUE * 4L; i++) {
            n = n * 10 + (s.charAt(i) - '0');
        }
        return negative ? -n : n;
    }

    /** is_valid_opt_ival (src/control.c): the whole word a number, its int value within the option's range. */
    private static boolean validIval(String v, long min, long max) {
        if (!v.matches("[+-]?[0-9]+")) {
            return false;
        }
        long l;
        try {
            l = Long.parseLong(v);
        } catch (NumberFormatException e) {
            return false;
        }
        int ival = (int) l;
        return ival >= min && ival <= max;
    }

    private static BigInteger unsignedNumber(String v) {
        if (!v.matches("\\+?[0-9]+")) {
            return null;
        }
        return new BigInteger(v.startsWith("+") ? v.substring(1) : v);
    }

    private static IpPrefix network(String v) {
        int slash = v.indexOf('/');
        if (slash < 0) {
            return null;
        }
        try {
            IpPrefix p = IpPrefix.parse(v.toLowerCase(Locale.ROOT));
            byte[] given = IpPrefix.parseNumericAddress(v.substring(0, slash).toLowerCase(Locale.ROOT));
            return Arrays.equals(given, p.address()) ? p : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    // ------------------------------------------------------------------ rendering

    /** The control socket's answer to {@code parameters}, final {@code $} included. */
    public String parametersText() {
        StringBuilder sb = new StringBuilder("PARAMETERS:\n");
        options.forEach((name, m) -> m.forEach((v, children) -> {
            sb.append(String.format(" %-22s %-20s (0) ", name, v)).append('\n');
            children.forEach((c, cv) -> sb.append(String.format("    /%-18s %-20s (0) ", c, cv)).append('\n'));
        }));
        return sb.append('$').toString();
    }

    /** The json plugin's {@code json/parameters}, as json-c writes it (slashes escaped). */
    public String parametersJson() {
        StringBuilder sb = new StringBuilder("{ \"OPTIONS\": [ ");
        boolean firstOption = true;
        for (Map.Entry<String, Map<String, Map<String, String>>> o : options.entrySet()) {
            if (o.getValue().isEmpty()) {
                continue;
            }
            sb.append(firstOption ? "" : ", ").append("{ \"name\": ").append(quote(o.getKey())).append(", \"INSTANCES\": [ ");
            firstOption = false;
            boolean firstInstance = true;
            for (Map.Entry<String, Map<String, String>> i : o.getValue().entrySet()) {
                sb.append(firstInstance ? "" : ", ").append("{ \"value\": ").append(quote(i.getKey()));
                firstInstance = false;
                if (!i.getValue().isEmpty()) {
                    sb.append(", \"CHILD_INSTANCES\": [ ");
                    boolean firstChild = true;
                    for (Map.Entry<String, String> c : i.getValue().entrySet()) {
                        sb.append(firstChild ? "" : ", ").append("{ \"name\": ").append(quote(c.getKey()))
                                .append(", \"value\": ").append(quote(c.getValue())).append(" }");
                        firstChild = false;
                    }
                    sb.append(" ]");
                }
                sb.append(" }");
            }
            sb.append(" ] }");
        }
        return sb.append(" ] }").toString();
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("/", "\\/") + "\"";
    }
}
