package io.cryptun.routing.mesh;

import io.cryptun.routing.NodeId;
import io.cryptun.routing.TunNetwork;

import java.util.Objects;

/**
 * A network announced by a gateway, with bmx7's path metric to that gateway: one input of the
 * gateway choice.
 *
 * @param gatewayName the gateway's hostname (for searches with {@code /gwName}), or null
 */
public record GatewayOffer(NodeId gateway, String gatewayName, TunNetwork network, long pathMetric) {
    public GatewayOffer {
        Objects.requireNonNull(gateway, "gateway");
        Objects.requireNonNull(network, "network");
        if (pathMetric < 0) {
            throw new IllegalArgumentException("pathMetric must not be negative");
        }
    }
}
