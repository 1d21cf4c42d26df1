package io.cryptun.routing.mesh;

import io.cryptun.routing.Fixtures;
import io.cryptun.routing.NodeId;
import io.cryptun.routing.TunNetwork;
import io.cryptun.routing.TunnelSearch;
import io.cryptun.routing.bmx7.Bmx7Table;
import io.cryptun.routing.bmx7.Originator;
import io.cryptun.routing.bmx7.TunnelRow;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Turns a captured {@code show=tunnels} into the chooser's inputs (searches, offers, the pairs in
 * use) so the chooser can be run on exactly what bmx7 saw, and compared with what it chose.
 */
final class TunnelTables {
    final List<TunnelRow> rows;
    final List<TunnelSearch> searches;
    final List<GatewayOffer> offers;
    final Set<ChoiceKey> active;
    final Map<ChoiceKey, TunnelRow> rowByKey = new TreeMap<>();

    TunnelTables(String capture) {
        rows = TunnelRow.fromTable(Bmx7Table.parse(Fixtures.text("socket/" + capture + ".reply")));
        Map<String, NodeId> byShort = new TreeMap<>();
        for (Originator o : Originator.fromTable(Bmx7Table.parse(Fixtures.text("socket/A.show_keys.reply")))) {
            byShort.put(o.nodeId().shortId(), o.nodeId());
        }
        Map<String, TunnelSearch> s = new LinkedHashMap<>();
        Map<String, GatewayOffer> o = new TreeMap<>();
        Set<ChoiceKey> act = new TreeSet<>();
        for (TunnelRow r : rows) {
            s.putIfAbsent(r.tunOut(), TunnelSearch.builder(r.tunOut(), r.searchNet()).minPrefixLen(r.minPrefixLen())
                    .maxPrefixLen(r.maxPrefixLen()).hysteresis(r.hysteresis()).rating(r.rating())
                    .minBandwidth(r.minBandwidth()).build());
            if (!r.hasAnnouncement()) {
                continue;
            }
            NodeId gw = byShort.get(r.remoteShortId());
            GatewayOffer offer = new GatewayOffer(gw, r.remoteName(), TunNetwork.of(r.advNet(), r.advBandwidth()),
                    r.pathMetric());
            o.put(gw + "/" + r.advNet(), offer);
            ChoiceKey k = new ChoiceKey(r.tunOut(), gw, r.advNet());
            rowByKey.put(k, r);
            if (r.isActive()) {
                act.add(k);
            }
        }
        searches = List.copyOf(s.values());
        offers = List.copyOf(o.values());
        active = Set.copyOf(act);
    }

    /** What bmx7 routes: "search route gateway" for every active row. */
    Set<String> bmx7Choices() {
        Set<String> out = new TreeSet<>();
        for (Map.Entry<ChoiceKey, TunnelRow> e : rowByKey.entrySet()) {
            if (e.getValue().isActive()) {
                out.add(e.getKey().searchName() + " " + e.getValue().tunRoute() + " " + e.getKey().gateway().shortId());
            }
        }
        return out;
    }

    static Set<String> describe(List<GatewayChoice> choices) {
        Set<String> out = new TreeSet<>();
        for (GatewayChoice c : choices) {
            out.add(c.search().name() + " " + c.route() + " " + c.offer().gateway().shortId());
        }
        return out;
    }

    static List<GatewayOffer> withPathMetric(List<GatewayOffer> offers, Map<NodeId, Long> metrics) {
        List<GatewayOffer> out = new ArrayList<>();
        for (GatewayOffer o : offers) {
            out.add(new GatewayOffer(o.gateway(), o.gatewayName(), o.network(),
                    metrics.getOrDefault(o.gateway(), o.pathMetric())));
        }
        return out;
    }
}
