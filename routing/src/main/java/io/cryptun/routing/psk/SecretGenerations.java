package io.cryptun.routing.psk;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which mesh secret generations a pair of nodes uses, decided from public ids alone (each node
 * announces the ids it holds in its cryptun record), so both ends reach the same answer without
 * talking:
 *
 * <ul>
 * <li>Two nodes may build a tunnel when they share a generation, or when neither holds one. A
 * node with a secret and one without, or two nodes with disjoint generations, refuse each other:
 * a closed community.</li>
 * <li>The pair's pre-shared key comes from the shared generation nearest the top of both nodes'
 * lists (each node lists its current generation first), ties going to the smallest id: see
 * {@link #chosen}. Every other generation this node holds follows as an alternative, which the
 * handshake tries when the peer's answer does not authenticate with the first (it moved on
 * before this node heard).</li>
 * </ul>
 *
 * <p>So a rotation in three rounds never has a pair use a generation one of them is about to
 * drop: add the next secret as the second line everywhere (pairs stay on the current one), then
 * move it to the first line everywhere (pairs switch as both ends have moved it), then remove the
 * old line everywhere.
 */
public final class SecretGenerations {
    private SecretGenerations() {
    }

    /**
     * The generation the pair uses: of those both hold, the one nearest the top of both lists
     * (the smaller of its two positions' maximum), ties going to the smallest id; empty when they
     * share none. Symmetric, so both ends agree; and once both have moved a generation to the top
     * (made it current), they use it, whatever else they still hold.
     */
    public static Optional<String> chosen(List<String> own, List<String> theirs) {
        String best = null;
        int bestRank = Integer.MAX_VALUE;
        for (int i = 0; i < own.size(); i++) {
            String id = own.get(i);
            int j = theirs.indexOf(id);
            if (j < 0) {
                continue;
            }
            int rank = Math.max(i, j);
            if (rank < bestRank || rank == bestRank && id.compareTo(best) < 0) {
                best = id;
                bestRank = rank;
            }
        }
        return Optional.ofNullable(best);
    }

    /** True when the two may build a tunnel: they share a generation, or neither holds one. */
    public static boolean compatible(List<String> own, List<String> theirs) {
        return own.isEmpty() && theirs.isEmpty() || chosen(own, theirs).isPresent();
    }

    /**
     * Why two nodes refuse each other, for logs and {@code cryptun show}; null when they are
     * {@link #compatible}. Names ids only, never secrets.
     */
    public static String incompatibility(List<String> own, List<String> theirs) {
        if (compatible(own, theirs)) {
            return null;
        }
        if (own.isEmpty()) {
            return "it holds a mesh secret (" + String.join(",", theirs) + ") and this node none";
        }
        if (theirs.isEmpty()) {
            return "it holds no mesh secret (this node: " + String.join(",", own) + ")";
        }
        return "it holds none of this node's mesh secrets (it: " + String.join(",", theirs) + "; this node: "
                + String.join(",", own) + ")";
    }

    /**
     * This node's generations in the order to use them towards a peer: the chosen one first, then
     * the others in this node's own order. Without a shared generation, this node's own order
     * (current first), so handshakes fail visibly. Empty when this node holds none.
     */
    public static List<String> order(List<String> own, List<String> theirs) {
        Optional<String> first = chosen(own, theirs);
        List<String> out = new ArrayList<>(own.size());
        first.ifPresent(out::add);
        for (String id : own) {
            if (!first.isPresent() || !first.get().equals(id)) {
                out.add(id);
            }
        }
        return List.copyOf(out);
    }
}
