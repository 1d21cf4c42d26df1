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

    EventLog SILENT = (level, message) -> { };
}
