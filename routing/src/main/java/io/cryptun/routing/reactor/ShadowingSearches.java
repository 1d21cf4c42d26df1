package io.cryptun.routing.reactor;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.routing.CryptMode;
import io.cryptun.routing.TunnelSearch;
import io.cryptun.routing.bmx7.Bmx7Options;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * bmx7 searches of its own ({@code tunOut}s cryptun did not hand over) that overlap cryptun's
 * searches. bmx7's tun plugin routes what they find through its plain IP-in-IPv6 tunnels, by
 * default in the main table, which cryptun consults before its own table (wg-quick's
 * {@code suppress_prefixlength 0} rule keeps the node's specific routes first): such routes win,
 * and traffic meant for WireGuard leaves unencrypted. Sans-IO: bmx7's configuration in, findings out.
 */
final class ShadowingSearches {
    /**
     * One overlap.
     *
     * @param bmx7Name    the bmx7 tunOut's name
     * @param bmx7Network the network it searches
     * @param table       the routing table it puts routes in (bmx7's default: 254, main)
     * @param search      cryptun's search it overlaps
     */
    record Shadow(String bmx7Name, IpPrefix bmx7Network, int table, TunnelSearch search) {
        /** A sentence for the log and {@code cryptun show}: what overlaps, why it matters, how to remove it. */
        String describe(CryptMode mode) {
            return "bmx7's own tunOut=" + bmx7Name + " /network=" + bmx7Network + " overlaps --tun-out " + search.name()
                    + "=" + search.network() + ": bmx7 routes what it finds through its plain tunnels ("
                    + (table == 254 ? "main table" : "table " + table) + "), ahead of WireGuard, so that traffic can leave "
                    + "unencrypted" + (mode == CryptMode.PREFER ? " even where a gateway has a key" : "")
                    + "; remove it from bmx7's configuration, or now with: bmx7 -c tunOut=-" + bmx7Name;
        }
    }

    private ShadowingSearches() {
    }

    /**
     * @param mode     this node's crypt-tun mode (off: everything is bmx7's anyway, so nothing shadows)
     * @param searches cryptun's searches
     * @param handed   names of the tunOuts cryptun handed to bmx7 itself (never a shadow)
     * @param bmx7     bmx7's configuration
     */
    static List<Shadow> find(CryptMode mode, Collection<TunnelSearch> searches, Set<String> handed, Bmx7Options bmx7) {
        List<Shadow> out = new ArrayList<>();
        if (mode == CryptMode.OFF || bmx7 == null) {
            return out;
        }
        for (Bmx7Options.Instance i : bmx7.get("tunOut")) {
            if (handed.contains(i.value())) {
                continue;
            }
            IpPrefix net;
            try {
                net = IpPrefix.parse(i.children().getOrDefault("network", ""));
            } catch (IllegalArgumentException e) {
                continue;
            }
            int table = tableOf(i.children().get("tableRule"));
            for (TunnelSearch s : searches) {
                if (s.isIpv4() == net.isIpv4() && overlap(s.network(), net)) {
                    out.add(new Shadow(i.value(), net, table, s));
                }
            }
        }
        return out;
    }

    private static int tableOf(String tableRule) {
        if (tableRule != null) {
            int slash = tableRule.indexOf('/');
            try {
                return Integer.parseInt(tableRule.substring(slash + 1));
            } catch (NumberFormatException | IndexOutOfBoundsException e) {
                // bmx7 would not have accepted it; its default below
            }
        }
        return TunnelSearch.DEFAULT_TABLE;
    }

    /** One prefix contains the other: they agree on the shorter one's bits. */
    static boolean overlap(IpPrefix a, IpPrefix b) {
        int bits = Math.min(a.length(), b.length());
        for (int i = 0; i < bits; i++) {
            int mask = 0x80 >>> (i & 7);
            if ((a.addressByte(i >>> 3) & mask) != (b.addressByte(i >>> 3) & mask)) {
                return false;
            }
        }
        return true;
    }
}
