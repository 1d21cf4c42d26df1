package io.cryptun.routing.mesh;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.routing.TunnelSearch;
import io.cryptun.routing.bmx7.Bmx7Numbers;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * The bmx7 tun plugin's gateway selection ({@code _add_tun_bit_node}, {@code _recalc_tun_bit_tree},
 * {@code eval_tun_bit_tree} in {@code lib/bmx7_tun/tun.c}), re-implemented:
 * <ol>
 * <li>A (search, announcement) pair qualifies when {@link TunnelSearch#matches} holds.</li>
 * <li>Its metric: quality = the announced bandwidth, or the maximum when it reaches the search's
 * minimum bandwidth; end-to-end = min(quality, path metric); tunMetric = e2e × rating / 100 ×
 * (100 + hysteresis if this pair is in use) / 100.</li>
 * <li>Pairs are grouped by (rule preference, route metric, address family) and ordered by route
 * prefix, longest first, then by tunMetric, best first. Walking that order, the first pair of each
 * route wins and later pairs of the same route are dropped; with {@code allowOverlappingPrefix} or
 * {@code breakOverlappingPrefix} turned off, a more specific route can also lose to a less specific
 * one with a better metric, as in bmx7.</li>
 * </ol>
 * Where bmx7 breaks exact ties by memory address, this breaks them by gateway id, search name and
 * announced network, so the result is deterministic. Unlike bmx7, gateways without a routable path
 * are not candidates at all.
 */
public final class GatewayChooser {

    private GatewayChooser() {
    }

    private record Candidate(TunnelSearch search, GatewayOffer offer, IpPrefix route, long metric) {
    }

    private static final Comparator<Candidate> ORDER = Comparator
            .comparingInt((Candidate c) -> c.search.tablePref())
            .thenComparingInt(c -> c.search.ipMetric())
            .thenComparing(c -> !c.route.isIpv4())
            .thenComparing(c -> -c.route.length())
            .thenComparing(c -> c.route)
            .thenComparing(c -> -c.metric)
            .thenComparing(c -> c.offer.gateway())
            .thenComparing(c -> c.search.name())
            .thenComparing(c -> c.offer.network().network());

    /**
     * @param active pairs in use now (from the previous plan); they get their search's hysteresis
     * @return the chosen routes in evaluation order
     */
    public static List<GatewayChoice> choose(List<TunnelSearch> searches, Collection<GatewayOffer> offers,
                                             Set<ChoiceKey> active) {
        List<Candidate> all = new ArrayList<>();
        for (TunnelSearch s : searches) {
            for (GatewayOffer o : offers) {
                if (!s.matches(o.network(), o.gateway(), o.gatewayName())) {
                    continue;
                }
                long e2e = endToEnd(s, o);
                if (e2e <= Bmx7Numbers.UMETRIC_MIN_NOT_ROUTABLE) {
                    continue;
                }
                boolean inUse = active.contains(new ChoiceKey(s.name(), o.gateway(), o.network().network()));
                all.add(new Candidate(s, o, s.routeFor(o.network().network()), tunMetric(s, e2e, inUse)));
            }
        }
        all.sort(ORDER);
        List<GatewayChoice> chosen = new ArrayList<>();
        int start = 0;
        while (start < all.size()) {
            int end = start + 1;
            while (end < all.size() && sameGroup(all.get(start), all.get(end))) {
                end++;
            }
            evaluateGroup(all.subList(start, end), chosen);
            start = end;
        }
        return List.copyOf(chosen);
    }

    private static boolean sameGroup(Candidate a, Candidate b) {
        return a.search.tablePref() == b.search.tablePref() && a.search.ipMetric() == b.search.ipMetric()
                && a.route.isIpv4() == b.route.isIpv4();
    }

    private static void evaluateGroup(List<Candidate> group, List<GatewayChoice> chosen) {
        boolean groupAllowsLarger = group.stream().allMatch(c -> c.search.allowOverlappingPrefix());
        boolean[] possible = new boolean[group.size()];
        java.util.Arrays.fill(possible, true);
        for (int i = 0; i < group.size(); i++) {
            if (!possible[i]) {
                continue;
            }
            Candidate curr = group.get(i);
            for (int j = i + 1; j < group.size(); j++) {
                Candidate crash = group.get(j);
                if (crash.route.equals(curr.route)) {
                    possible[j] = false;
                } else if (groupAllowsLarger && curr.search.breakOverlappingPrefix()) {
                    break;
                } else if (!(crash.search.allowOverlappingPrefix() && curr.search.breakOverlappingPrefix())
                        && crash.route.length() <= curr.route.length()
                        && crash.route.contains(curr.route.address())
                        && crash.metric > curr.metric) {
                    possible[i] = false;
                    break;
                }
            }
            if (possible[i]) {
                chosen.add(new GatewayChoice(curr.search, curr.route, curr.offer, curr.metric));
            }
        }
    }

    /** min(quality, path metric), where quality is the maximum once the bandwidth is enough. */
    public static long endToEnd(TunnelSearch s, GatewayOffer o) {
        long bw = o.network().bandwidth();
        long quality = bw >= s.effectiveMinBandwidth() ? Bmx7Numbers.UMETRIC_MAX : bw;
        return Math.min(quality, o.pathMetric());
    }

    /** bmx7's tunMetric for a pair of the search with this end-to-end metric. */
    public static long tunMetric(TunnelSearch s, long endToEnd, boolean inUse) {
        long rated = saturatingMultiply(endToEnd, s.rating()) / 100;
        return saturatingMultiply(rated, 100L + (inUse ? s.hysteresis() : 0)) / 100;
    }

    private static long saturatingMultiply(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        return (hi == 0 && lo >= 0) ? lo : Long.MAX_VALUE;
    }
}
