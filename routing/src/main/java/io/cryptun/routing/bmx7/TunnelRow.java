package io.cryptun.routing.bmx7;

import io.cryptun.noise.allowedips.IpPrefix;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One row of bmx7's {@code show=tunnels} / {@code jshow=tunnels}: a (search, announced network)
 * pair as the tun plugin rates it. A row whose {@code tunName} is set is the one bmx7 routes.
 * Bandwidths are exact (they lie on bmx7's 8-bit float grid); metrics are lower bounds of the
 * printed compact form. -1 stands for {@code ---}, as do null texts and prefixes. A search with no candidate shows one row of {@code ---}.
 *
 * @param remoteShortId the gateway's short id (8 hex): the table shows no full id
 * @param tunMetric     the rating of the last evaluation, hysteresis included; bmx7 refreshes it
 *                      only every few seconds, so it can lag behind {@code pathMetric}
 */
public record TunnelRow(String tunOut, IpPrefix searchNet, int minPrefixLen, int maxPrefixLen, int hysteresis,
                        int rating, long minBandwidth, String tunName, IpPrefix tunRoute, String remoteShortId,
                        String remoteName, IpPrefix advNet, long advBandwidth, long pathMetric, long tunMetric) {

    /** True for the row bmx7 currently routes through a tunnel. */
    public boolean isActive() {
        return tunName != null;
    }

    /** True for a real candidate (not a search's placeholder row). */
    public boolean hasAnnouncement() {
        return advNet != null && remoteShortId != null;
    }

    public static List<TunnelRow> fromTable(Bmx7Table table) {
        List<TunnelRow> out = new ArrayList<>();
        for (Map<String, String> row : table.rows()) {
            out.add(fromRow(row));
        }
        return out;
    }

    /** The rows of {@code jshow=tunnels}. */
    public static List<TunnelRow> fromJshow(String json) {
        Map<String, Object> root = JsonReader.parseObject(json);
        List<TunnelRow> out = new ArrayList<>();
        for (Object o : JsonAccess.list(root.get("tunnels"), "tunnels")) {
            Map<String, Object> m = JsonAccess.object(o, "tunnel");
            Map<String, String> row = new LinkedHashMap<>();
            for (Map.Entry<String, Object> e : m.entrySet()) {
                if (e.getValue() instanceof String || e.getValue() instanceof Long) {
                    row.put(e.getKey(), e.getValue().toString());
                }
            }
            out.add(fromRow(row));
        }
        return out;
    }

    private static TunnelRow fromRow(Map<String, String> r) {
        return new TunnelRow(text(r, "tunOut"), prefix(r, "net"), integer(r, "min"), integer(r, "max"),
                integer(r, "hyst"), integer(r, "rating"), bandwidth(r, "minBw"), text(r, "tunName"), prefix(r, "tunRoute"),
                text(r, "remoteId"), text(r, "remoteName"), prefix(r, "advNet"), bandwidth(r, "advBw"),
                number(r, "pathMtc"), number(r, "tunMtc"));
    }

    private static String text(Map<String, String> r, String key) {
        return JsonAccess.noneIsNull(r.get(key));
    }

    private static IpPrefix prefix(Map<String, String> r, String key) {
        String v = text(r, key);
        return v == null ? null : IpPrefix.parse(v);
    }

    private static int integer(Map<String, String> r, String key) {
        String v = text(r, key);
        return v == null ? -1 : Integer.parseInt(v);
    }

    /** Bandwidths are on bmx7's 8-bit float grid, so the printed form gives them exactly. */
    private static long bandwidth(Map<String, String> r, String key) {
        String v = text(r, key);
        return v == null ? -1 : Bmx7Numbers.bandwidthFromDisplay(v);
    }

    private static long number(Map<String, String> r, String key) {
        String v = text(r, key);
        return v == null ? -1 : Bmx7Numbers.parseCompact(v).orElse(-1);
    }
}
