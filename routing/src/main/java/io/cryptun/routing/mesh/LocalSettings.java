package io.cryptun.routing.mesh;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.routing.CryptMode;
import io.cryptun.routing.CryptunRecord;
import io.cryptun.routing.NodeId;
import io.cryptun.routing.TunnelSearch;

import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * This node's side of the plan: who it is, what it publishes, what it searches and offers, and
 * whom it trusts.
 *
 * @param self                  this node's bmx7 id
 * @param ownRecord             the record this node publishes (its public key, port and tunnel sources)
 * @param mode                  crypt-tun mode
 * @param searches              gateway searches (names unique)
 * @param offers                networks this node offers as a gateway; non-empty makes it accept clients
 * @param allowList             node ids allowed to peer, or null for everyone
 * @param acceptedClientSources when non-empty, a client's announced tunnel source must lie inside
 *                              one of these prefixes to be allowed on the gateway side
 */
public record LocalSettings(NodeId self, CryptunRecord ownRecord, CryptMode mode, List<TunnelSearch> searches,
                            List<OfferedNetwork> offers, Set<NodeId> allowList, List<IpPrefix> acceptedClientSources) {
    public LocalSettings {
        Objects.requireNonNull(self, "self");
        Objects.requireNonNull(ownRecord, "ownRecord");
        Objects.requireNonNull(mode, "mode");
        searches = List.copyOf(searches);
        offers = List.copyOf(offers);
        Set<String> names = new HashSet<>();
        for (TunnelSearch s : searches) {
            if (!names.add(s.name())) {
                throw new IllegalArgumentException("search name '" + s.name() + "' used twice");
            }
        }
        allowList = allowList == null ? null : Collections.unmodifiableSet(new TreeSet<>(allowList));
        acceptedClientSources = List.copyOf(acceptedClientSources);
    }

    /** Settings with no offers, no allow-list and any client source. */
    public static LocalSettings of(NodeId self, CryptunRecord ownRecord, CryptMode mode, List<TunnelSearch> searches) {
        return new LocalSettings(self, ownRecord, mode, searches, List.of(), null, List.of());
    }

    public LocalSettings withOwnRecord(CryptunRecord r) {
        return new LocalSettings(self, r, mode, searches, offers, allowList, acceptedClientSources);
    }

    public LocalSettings withMode(CryptMode m) {
        return new LocalSettings(self, ownRecord, m, searches, offers, allowList, acceptedClientSources);
    }

    public LocalSettings withSearches(List<TunnelSearch> s) {
        return new LocalSettings(self, ownRecord, mode, s, offers, allowList, acceptedClientSources);
    }

    public LocalSettings withOffers(List<OfferedNetwork> o) {
        return new LocalSettings(self, ownRecord, mode, searches, o, allowList, acceptedClientSources);
    }

    public LocalSettings withAllowList(Set<NodeId> a) {
        return new LocalSettings(self, ownRecord, mode, searches, offers, a, acceptedClientSources);
    }

    public LocalSettings withAcceptedClientSources(List<IpPrefix> p) {
        return new LocalSettings(self, ownRecord, mode, searches, offers, allowList, p);
    }

    /** True when the allow-list admits {@code node} (always, without a list). */
    public boolean isAllowed(NodeId node) {
        return allowList == null || allowList.contains(node);
    }

    /** True when a client may use {@code source} as its tunnel source address here. */
    public boolean acceptsClientSource(IpPrefix source) {
        if (acceptedClientSources.isEmpty()) {
            return true;
        }
        for (IpPrefix p : acceptedClientSources) {
            if (p.isIpv4() == source.isIpv4() && p.length() <= source.length() && p.contains(source.address())) {
                return true;
            }
        }
        return false;
    }
}
