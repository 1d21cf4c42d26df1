package io.cryptun.routing.mesh;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.routing.TunnelSearch;

import java.util.Objects;

/**
 * A network this node offers as a gateway, announced to the mesh as an ordinary bmx7 tunnel
 * network ({@code tunIn=NAME /network=PREFIX /bandwidth=B}), so plain bmx7 nodes see it too.
 *
 * @param bandwidth announced bandwidth in bit/s (bmx7 stores it on its 8-bit float grid)
 */
public record OfferedNetwork(String name, IpPrefix network, long bandwidth) {
    public OfferedNetwork {
        if (!TunnelSearch.isValidName(name)) {
            throw new IllegalArgumentException("'" + name + "' is not a valid bmx7 name");
        }
        Objects.requireNonNull(network, "network");
        if (bandwidth < 1) {
            throw new IllegalArgumentException("bandwidth must be positive");
        }
    }
}
