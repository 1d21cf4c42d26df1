package io.cryptun.routing.bmx7;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Keeps the last good value of each key for a grace period while its source is missing or
 * unreadable, e.g. the json plugin's {@code descriptions/<NODEID>} files, which bmx7 deletes and
 * rewrites non-atomically on every description change. Sans-IO: the caller passes a monotonic clock.
 *
 * @param <K> key type (a node id), naturally ordered
 * @param <V> value type
 */
public final class GraceCache<K extends Comparable<K>, V> {
    private final long graceMillis;
    private final Map<K, V> lastGood = new HashMap<>();
    private final Map<K, Long> troubleSince = new HashMap<>();
    private long holdUntil = Long.MIN_VALUE;

    public GraceCache(long graceMillis) {
        if (graceMillis < 0) {
            throw new IllegalArgumentException("grace must not be negative");
        }
        this.graceMillis = graceMillis;
    }

    /**
     * Keeps every value that goes missing until {@code untilMillis} (then the grace period starts):
     * for a source that is known to be rebuilding, such as bmx7 relearning the mesh after a restart.
     */
    public void holdMissing(long untilMillis) {
        holdUntil = Math.max(holdUntil, untilMillis);
    }

    /**
     * @param good the values read successfully now
     * @param gone keys known to be gone for good (no grace); everything else that is missing from
     *             {@code good} (unreadable or absent) keeps its last good value for the grace period
     * @return the values to use now, sorted by key
     */
    public Map<K, V> update(long nowMillis, Map<K, V> good, Set<K> gone) {
        Objects.requireNonNull(good, "good");
        Objects.requireNonNull(gone, "gone");
        for (Map.Entry<K, V> e : good.entrySet()) {
            lastGood.put(e.getKey(), Objects.requireNonNull(e.getValue(), "value"));
            troubleSince.remove(e.getKey());
        }
        lastGood.keySet().removeIf(k -> {
            if (good.containsKey(k)) {
                return false;
            }
            if (gone.contains(k)) {
                troubleSince.remove(k);
                return true;
            }
            if (nowMillis < holdUntil) {
                troubleSince.remove(k);
                return false;
            }
            long since = troubleSince.computeIfAbsent(k, x -> nowMillis);
            if (nowMillis - since >= graceMillis) {
                troubleSince.remove(k);
                return true;
            }
            return false;
        });
        return current();
    }

    public Map<K, V> current() {
        return Collections.unmodifiableMap(new TreeMap<>(lastGood));
    }
}
