package io.cryptun.routing.mesh;

import io.cryptun.routing.NodeId;
import io.cryptun.routing.RecordStatus;
import io.cryptun.routing.TunNetwork;
import io.cryptun.routing.bmx7.Bmx7Numbers;

import java.net.Inet6Address;
import java.util.List;
import java.util.Objects;

/**
 * One node as this node sees it: identity, bmx7's routing view, its tunnel announcements and its
 * cryptun record.
 *
 * @param hostname      bmx7 hostname, or null
 * @param bmx7PrimaryIp the primary address bmx7 reports for the node, or null when not known
 * @param pathMetric    bmx7's path metric to the node (0 = no path)
 * @param networks      tunnel networks the node announces, sorted
 * @param record        its cryptun record status
 */
public record MeshNode(NodeId id, String hostname, Inet6Address bmx7PrimaryIp, long pathMetric, List<TunNetwork> networks,
                       RecordStatus record) {
    public MeshNode {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(record, "record");
        if (pathMetric < 0) {
            throw new IllegalArgumentException("pathMetric must not be negative");
        }
        networks = networks.stream().sorted().toList();
    }

    /** The WireGuard endpoint address: the id-derived primary {@code fd70:} address. */
    public Inet6Address endpointAddress() {
        return id.primaryAddress();
    }

    /** False when bmx7 reports a primary address other than the id-derived one. */
    public boolean addressConsistent() {
        return bmx7PrimaryIp == null || id.isPrimaryAddress(bmx7PrimaryIp);
    }

    /** True when bmx7 has a usable path to the node. */
    public boolean isReachable() {
        return pathMetric > Bmx7Numbers.UMETRIC_MIN_NOT_ROUTABLE;
    }

    public MeshNode withRecord(RecordStatus status) {
        return new MeshNode(id, hostname, bmx7PrimaryIp, pathMetric, networks, status);
    }

    public MeshNode withPathMetric(long metric) {
        return new MeshNode(id, hostname, bmx7PrimaryIp, metric, networks, record);
    }

    public MeshNode withNetworks(List<TunNetwork> nets) {
        return new MeshNode(id, hostname, bmx7PrimaryIp, pathMetric, nets, record);
    }
}
