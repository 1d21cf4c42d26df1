package io.cryptun.noise.device;

/**
 * Where the core reports notable events (handshakes, retries, key expiry) in words. Messages name
 * peers by a short public-key label and never contain secrets. Per-packet drops are counted in
 * {@link Stats}, not logged.
 */
@FunctionalInterface
public interface EventLog {
    /** In falling severity: a threshold shows its level and those before it. */
    enum Level { ERROR, WARN, INFO, VERBOSE }

    void log(Level level, String message);

    /** Whether a message of {@code level} is shown: callers skip building the ones that are not. */
    default boolean enabled(Level level) {
        return true;
    }

    /** Logs nothing (and says so, so that no message is built for it). */
    EventLog SILENT = new EventLog() {
        @Override
        public void log(Level level, String message) {
        }

        @Override
        public boolean enabled(Level level) {
            return false;
        }
    };
}
