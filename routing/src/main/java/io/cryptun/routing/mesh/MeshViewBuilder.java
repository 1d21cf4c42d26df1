package io.cryptun.routing.mesh;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.routing.NodeId;
import io.cryptun.routing.RecordStatus;
import io.cryptun.routing.TunNetwork;
import io.cryptun.routing.bmx7.Bmx7Description;
import io.cryptun.routing.bmx7.Originator;

import java.net.Inet6Address;
import java.net.UnknownHostException;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Assembles a {@link MeshView} from bmx7's outputs: descriptions (json files or socket), originators
 * (json files or {@code show=originators /r=0}) and record statuses ({@code ReceivedRecords}).
 * A node is in the view when bmx7 has its description or an originator entry for it.
 */
public final class MeshViewBuilder {
    private final NodeId self;
    private final Map<NodeId, Bmx7Description> descriptions = new TreeMap<>();
    private final Map<NodeId, Originator> originators = new TreeMap<>();
    private final Map<NodeId, RecordStatus> records = new TreeMap<>();

    public MeshViewBuilder(NodeId self) {
        this.self = self;
    }

    public MeshViewBuilder descriptions(Collection<Bmx7Description> list) {
        for (Bmx7Description d : list) {
            descriptions.put(d.nodeId(), d);
        }
        return this;
    }

    public MeshViewBuilder originators(Collection<Originator> list) {
        for (Originator o : list) {
            originators.put(o.nodeId(), o);
        }
        return this;
    }

    public MeshViewBuilder records(Map<NodeId, RecordStatus> statuses) {
        records.putAll(statuses);
        return this;
    }

    public MeshView build() {
        TreeSet<NodeId> ids = new TreeSet<>(descriptions.keySet());
        ids.addAll(originators.keySet());
        Map<NodeId, MeshNode> nodes = new TreeMap<>();
        for (NodeId id : ids) {
            Bmx7Description d = descriptions.get(id);
            Originator o = originators.get(id);
            String host = o != null && o.name() != null ? o.name() : d != null ? d.hostname() : null;
            Inet6Address primary = o != null && o.primaryIp() != null ? o.primaryIp() : announcedPrimary(d);
            long metric = o != null ? o.pathMetric() : 0;
            List<TunNetwork> nets = d != null ? d.tunNetworks() : List.of();
            nodes.put(id, new MeshNode(id, host, primary, metric, nets, records.getOrDefault(id, RecordStatus.ABSENT)));
        }
        return new MeshView(self, nodes);
    }

    /**
     * Without an originator entry, the primary address the description announces: a /128 HNA in
     * {@code fd70::/16}, preferring the id-derived one.
     */
    private static Inet6Address announcedPrimary(Bmx7Description d) {
        if (d == null) {
            return null;
        }
        if (d.announcesPrimaryAddress()) {
            return d.nodeId().primaryAddress();
        }
        for (IpPrefix p : d.hna6()) {
            if (!p.isIpv4() && p.length() == 128 && p.addressByte(0) == 0xfd && p.addressByte(1) == 0x70) {
                try {
                    return Inet6Address.getByAddress(null, p.address(), -1);
                } catch (UnknownHostException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return null;
    }
}
