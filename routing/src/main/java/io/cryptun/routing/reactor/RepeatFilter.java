package io.cryptun.routing.reactor;

import io.cryptun.noise.device.EventLog;

import java.util.HashMap;
import java.util.Map;

/**
 * Logs a message about a topic once, not at every scan: again only when the message for that
 * topic changes, or after the topic was {@linkplain #clear cleared} (the problem went away).
 */
final class RepeatFilter {
    private final EventLog log;
    private final Map<String, String> current = new HashMap<>();

    RepeatFilter(EventLog log) {
        this.log = log;
    }

    /** Logs {@code message} unless it is what was last logged for {@code topic}; true when logged. */
    boolean log(String topic, EventLog.Level level, String message) {
        String before = current.put(topic, message);
        if (message.equals(before)) {
            return false;
        }
        log.log(level, message);
        return true;
    }

    /** Forgets the topic; returns true when a message was standing for it. */
    boolean clear(String topic) {
        return current.remove(topic) != null;
    }

    boolean isActive(String topic) {
        return current.containsKey(topic);
    }

    /** True when some topic with this prefix has a message standing. */
    boolean anyActive(String topicPrefix) {
        for (String t : current.keySet()) {
            if (t.startsWith(topicPrefix)) {
                return true;
            }
        }
        return false;
    }
}
