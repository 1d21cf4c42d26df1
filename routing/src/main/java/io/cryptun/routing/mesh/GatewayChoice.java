package io.cryptun.routing.mesh;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.routing.TunnelSearch;

import java.util.Objects;

/**
 * One route the gateway choice settled on.
 *
 * @param search    the search it satisfies
 * @param route     the routed prefix: the more specific of the search network and the announcement
 * @param offer     the chosen gateway's announcement
 * @param tunMetric the rating that won, hysteresis included (comparable to bmx7's {@code tunMtc})
 */
public record GatewayChoice(TunnelSearch search, IpPrefix route, GatewayOffer offer, long tunMetric) {
    public GatewayChoice {
        Objects.requireNonNull(search, "search");
        Objects.requireNonNull(route, "route");
        Objects.requireNonNull(offer, "offer");
    }

    public ChoiceKey key() {
        return new ChoiceKey(search.name(), offer.gateway(), offer.network().network());
    }
}
