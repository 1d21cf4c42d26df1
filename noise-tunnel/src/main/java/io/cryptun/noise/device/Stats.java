package io.cryptun.noise.device;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/** Device-wide counters: drops by reason and handshake events. */
public final class Stats {
    private final AtomicLongArray drops = new AtomicLongArray(DropReason.values().length);
    private final AtomicLongArray events = new AtomicLongArray(Event.values().length);

    /** Things worth counting that are not drops. */
    public enum Event {
        INITIATION_SENT, INITIATION_RECEIVED, RESPONSE_SENT, RESPONSE_RECEIVED, COOKIE_REPLY_SENT,
        COOKIE_REPLY_RECEIVED, SESSION_ESTABLISHED, KEEPALIVE_SENT, KEEPALIVE_RECEIVED, KEYS_ZEROED
    }

    void drop(DropReason reason) {
        drops.incrementAndGet(reason.ordinal());
    }

    void event(Event e) {
        events.incrementAndGet(e.ordinal());
    }

    public long drops(DropReason reason) {
        return drops.get(reason.ordinal());
    }

    public long events(Event e) {
        return events.get(e.ordinal());
    }

    public long totalDrops() {
        long t = 0;
        for (int i = 0; i < drops.length(); i++) {
            t += drops.get(i);
        }
        return t;
    }

    public Map<DropReason, Long> dropsByReason() {
        Map<DropReason, Long> m = new EnumMap<>(DropReason.class);
        for (DropReason r : DropReason.values()) {
            m.put(r, drops(r));
        }
        return m;
    }

    public Map<Event, Long> eventCounts() {
        Map<Event, Long> m = new EnumMap<>(Event.class);
        for (Event e : Event.values()) {
            m.put(e, events(e));
        }
        return m;
    }
}
