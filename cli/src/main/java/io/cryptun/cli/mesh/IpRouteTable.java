package io.cryptun.cli.mesh;

import io.cryptun.cli.process.ExternalCommand;
import io.cryptun.cli.process.ExternalCommand.Outcome;
import io.cryptun.routing.TunnelSearch;
import io.cryptun.routing.reactor.RouteTable;
import io.cryptun.routing.reactor.TableRule;
import io.cryptun.routing.reactor.TunnelRoute;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@link RouteTable} with iproute2: routes through the cryptun device ({@code ip route replace},
 * so installing twice is harmless) and the policy rules of their tables. A rule that already
 * existed (bmx7 adds the same rule for the searches handed to it) is used but never deleted:
 * only rules this table added are removed again, once no table of its needs them.
 */
public final class IpRouteTable implements RouteTable {
    private final String device;
    /** The table rules asked for now. */
    private final Set<TableRule> tables = new TreeSet<>();
    /** ip rules this table added (as their argument text): the only ones it removes. */
    private final Set<String> ownRules = new TreeSet<>();

    public IpRouteTable(String device) {
        this.device = device;
    }

    @Override
    public void add(TunnelRoute r) throws IOException {
        ExternalCommand.ipOrThrow(family(r), "route", "replace", r.prefix().toString(), "dev", device, "table",
                Integer.toString(r.table()), "metric", Integer.toString(r.metric()), "proto", "static");
    }

    @Override
    public void remove(TunnelRoute r) throws IOException {
        Outcome res = ExternalCommand.ip(family(r), "route", "del", r.prefix().toString(), "dev", device, "table",
                Integer.toString(r.table()), "metric", Integer.toString(r.metric()));
        // already gone (with the device, or by hand): what removing wanted
        if (!res.ok() && !res.output().contains("No such process") && !res.output().contains("Cannot find device")) {
            throw new IOException(res.failure());
        }
    }

    /**
     * Adds the table's rule and, one preference before it, {@code lookup main suppress_prefixlength 0}:
     * the node's own specific routes (connected networks, routes set by hand) stay ahead of the
     * tunnels, and only main's default route comes after them, as wg-quick arranges it. Asking
     * again puts back a rule someone deleted.
     */
    @Override
    public synchronized void addRule(TableRule rule) throws IOException {
        tables.add(rule);
        for (List<String> r : rulesOf(rule)) {
            Outcome res = ExternalCommand.ip(withVerb(r, "add"));
            if (res.ok()) {
                ownRules.add(String.join(" ", r));
            } else if (!res.output().contains("File exists")) {
                throw new IOException(res.failure());
            }
        }
    }

    @Override
    public synchronized void removeRule(TableRule rule) throws IOException {
        tables.remove(rule);
        for (List<String> r : rulesOf(rule)) {
            String key = String.join(" ", r);
            boolean stillNeeded = tables.stream().anyMatch(t -> rulesOf(t).contains(r));
            if (stillNeeded || !ownRules.remove(key)) {
                continue;
            }
            Outcome res = ExternalCommand.ip(withVerb(r, "del"));
            if (!res.ok() && !res.output().contains("No such file")) {
                throw new IOException(res.failure());
            }
        }
    }

    /** The ip rules (arguments after the verb) a table rule stands for. */
    private static List<List<String>> rulesOf(TableRule rule) {
        String family = rule.ipv4() ? "-4" : "-6";
        List<List<String>> out = new ArrayList<>(2);
        if (rule.preference() - 1 > io.cryptun.routing.bmx7.Bmx7Limits.HNA_RULE_PREF) {
            out.add(List.of(family, "pref", Integer.toString(rule.preference() - 1), "lookup", "main",
                    "suppress_prefixlength", "0"));
        }
        out.add(List.of(family, "pref", Integer.toString(rule.preference()), "lookup", Integer.toString(rule.table())));
        return out;
    }

    private static String[] withVerb(List<String> rule, String verb) {
        List<String> a = new ArrayList<>(rule.size() + 2);
        a.add(rule.get(0));
        a.add("rule");
        a.add(verb);
        a.addAll(rule.subList(1, rule.size()));
        return a.toArray(new String[0]);
    }

    private static String family(TunnelRoute r) {
        return r.prefix().isIpv4() ? "-4" : "-6";
    }
}
