package io.cryptun.routing.mesh;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.routing.NodeId;

import java.util.Comparator;
import java.util.Objects;

/**
 * Identifies a (search, gateway, announced network) pair across plans, so the one in use gets
 * the search's hysteresis bonus, as bmx7 gives it to the pair it currently routes.
 */
public record ChoiceKey(String searchName, NodeId gateway, IpPrefix announced) implements Comparable<ChoiceKey> {
    private static final Comparator<ChoiceKey> ORDER = Comparator.comparing(ChoiceKey::searchName)
            .thenComparing(ChoiceKey::gateway).thenComparing(ChoiceKey::announced);

    public ChoiceKey {
        Objects.requireNonNull(searchName, "searchName");
        Objects.requireNonNull(gateway, "gateway");
        Objects.requireNonNull(announced, "announced");
    }

    @Override
    public int compareTo(ChoiceKey o) {
        return ORDER.compare(this, o);
    }
}
