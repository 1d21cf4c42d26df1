package io.cryptun.routing.mesh;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.routing.bmx7.Bmx7Limits;

import java.util.Objects;

/**
 * A network this node offers as a gateway, announced to the mesh as an ordinary bmx7 tunnel
 * network ({@code tunIn=NAME /network=PREFIX /bandwidth=B}), so plain bmx7 nodes see it too.
 *
 * @param bandwidth announced bandwidth in bit/s, within bmx7's range (it stores it on its 8-bit float grid)
 */
public record OfferedNetwork(String name, IpPrefix network, long bandwidth) {
    public OfferedNetwork {
        String problem = Bmx7Limits.checkName("name", name, Bmx7Limits.MAX_NAME_LENGTH);
        if (problem == null) {
            problem = Bmx7Limits.checkBandwidth("bandwidth", bandwidth);
        }
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        Objects.requireNonNull(network, "network");
    }
}
