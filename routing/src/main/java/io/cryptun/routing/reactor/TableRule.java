package io.cryptun.routing.reactor;

import java.util.Comparator;

/**
 * A policy rule {@code ip [-4|-6] rule add pref PREFERENCE lookup TABLE}: how the kernel reaches
 * a search's table (bmx7's {@code /tableRule=PREF/TABLE}).
 */
public record TableRule(int preference, int table, boolean ipv4) implements Comparable<TableRule> {
    private static final Comparator<TableRule> ORDER = Comparator.comparingInt(TableRule::preference)
            .thenComparingInt(TableRule::table).thenComparing(r -> !r.ipv4());

    public TableRule {
        if (preference < 0 || table < 1) {
            throw new IllegalArgumentException("preference must not be negative and table must be positive");
        }
    }

    @Override
    public int compareTo(TableRule o) {
        return ORDER.compare(this, o);
    }

    @Override
    public String toString() {
        return (ipv4 ? "IPv4" : "IPv6") + " rule pref " + preference + " lookup " + table;
    }
}
