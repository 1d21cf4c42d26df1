package io.cryptun.routing.bmx7;

import io.cryptun.routing.NodeId;

import java.net.Inet6Address;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * bmx7's routing view of one node: its name, primary address, and the path metric and hop count
 * from this node (the local node itself shows metric 257G and 0 hops).
 *
 * @param primaryIp  the address bmx7 routes to this node, or null when not shown
 * @param pathMetric the end-to-end metric (approximate: bmx7 prints it truncated); 0 when none
 * @param hops       hop count, or -1 when not shown
 */
public record Originator(NodeId nodeId, String name, Inet6Address primaryIp, long pathMetric, int hops) {
    public Originator {
        Objects.requireNonNull(nodeId, "nodeId");
        if (pathMetric < 0) {
            throw new IllegalArgumentException("pathMetric must not be negative");
        }
    }

    /** One {@code originators/<NODEID>} file of the json plugin, or one element of {@code jshow=originators}. */
    public static Originator fromJson(Map<String, Object> o) {
        Map<String, String> row = new java.util.LinkedHashMap<>();
        for (String key : List.of("nodeId", "name", "primaryIp", "metric", "hops")) {
            if (o.containsKey(key)) {
                row.put(key, JsonAccess.text(o, key));
            }
        }
        return fromRow(row);
    }

    /** Parses an {@code originators/<NODEID>} json file. */
    public static Originator fromJsonText(String json) {
        return fromJson(JsonReader.parseObject(json));
    }

    /** The rows of {@code jshow=originators}. */
    public static List<Originator> fromJshow(String json) {
        Map<String, Object> root = JsonReader.parseObject(json);
        List<Originator> out = new ArrayList<>();
        for (Object o : JsonAccess.list(root.get("originators"), "originators")) {
            out.add(fromJson(JsonAccess.object(o, "originator")));
        }
        return out;
    }

    /**
     * The rows of a {@code show=originators /r=0} or {@code show=keys} table; the plain
     * {@code show=originators} shows only short ids and is refused.
     */
    public static List<Originator> fromTable(Bmx7Table table) {
        if (!table.hasColumn("nodeId")) {
            throw new IllegalArgumentException(table.name() + " has no nodeId column (ask with /r=0)");
        }
        List<Originator> out = new ArrayList<>();
        for (Map<String, String> row : table.rows()) {
            out.add(fromRow(row));
        }
        return out;
    }

    private static Originator fromRow(Map<String, String> row) {
        String id = row.get("nodeId");
        if (id == null || !NodeId.isNodeIdText(id)) {
            throw new IllegalArgumentException("originator without a valid nodeId");
        }
        String name = JsonAccess.noneIsNull(row.get("name"));
        String ip = JsonAccess.noneIsNull(row.get("primaryIp"));
        Inet6Address primary = ip == null ? null : JsonDescriptions.ipv6(ip);
        String metric = row.get("metric");
        long m = metric == null ? 0 : Bmx7Numbers.parseCompact(metric).orElse(0);
        String hops = JsonAccess.noneIsNull(row.get("hops"));
        int h = hops == null ? -1 : Integer.parseInt(hops);
        return new Originator(NodeId.parse(id), name, primary, m, h);
    }

    /** True when bmx7's primary address for this node is the one derived from its id. */
    public boolean primaryIpMatchesId() {
        return primaryIp != null && nodeId.isPrimaryAddress(primaryIp);
    }
}
