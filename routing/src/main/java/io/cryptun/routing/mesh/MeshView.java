package io.cryptun.routing.mesh;

import io.cryptun.routing.NodeId;

import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * An immutable snapshot of the mesh as this node sees it. The local node may be among the nodes
 * (bmx7 lists itself); the planner never peers with it.
 *
 * @param self  this node's id
 * @param nodes every known node by id, sorted
 */
public record MeshView(NodeId self, Map<NodeId, MeshNode> nodes) {
    public MeshView {
        Objects.requireNonNull(self, "self");
        TreeMap<NodeId, MeshNode> copy = new TreeMap<>();
        for (Map.Entry<NodeId, MeshNode> e : nodes.entrySet()) {
            if (!e.getKey().equals(e.getValue().id())) {
                throw new IllegalArgumentException("node map key differs from node id");
            }
            copy.put(e.getKey(), e.getValue());
        }
        nodes = Collections.unmodifiableMap(copy);
    }

    public static MeshView of(NodeId self, Collection<MeshNode> nodes) {
        Map<NodeId, MeshNode> m = new TreeMap<>();
        for (MeshNode n : nodes) {
            if (m.put(n.id(), n) != null) {
                throw new IllegalArgumentException("node " + n.id() + " given twice");
            }
        }
        return new MeshView(self, m);
    }

    public Optional<MeshNode> node(NodeId id) {
        return Optional.ofNullable(nodes.get(id));
    }

    /** Every node except this one, sorted by id. */
    public List<MeshNode> others() {
        return nodes.values().stream().filter(n -> !n.id().equals(self)).toList();
    }

    public MeshView without(NodeId id) {
        Map<NodeId, MeshNode> m = new TreeMap<>(nodes);
        m.remove(id);
        return new MeshView(self, m);
    }

    public MeshView with(MeshNode node) {
        Map<NodeId, MeshNode> m = new TreeMap<>(nodes);
        m.put(node.id(), node);
        return new MeshView(self, m);
    }
}
