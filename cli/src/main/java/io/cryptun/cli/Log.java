package io.cryptun.cli;

import io.cryptun.noise.device.EventLog;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/**
 * The daemon's log on stderr, with wireguard-go's LOG_LEVEL values (verbose, error, silent;
 * default: info). Never given secrets: the core logs peers by short public-key labels only.
 */
public final class Log implements EventLog {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy/MM/dd HH:mm:ss");
    private final Level threshold;
    private final String prefix;

    public Log(Level threshold, String prefix) {
        this.threshold = threshold;
        this.prefix = prefix;
    }

    /** From LOG_LEVEL: "verbose" or "debug", "warn", "error", "silent"; anything else means info. */
    public static Log fromEnvironment(String prefix) {
        String v = System.getenv("LOG_LEVEL");
        Level l = Level.INFO;
        if (v != null) {
            switch (v.toLowerCase()) {
                case "verbose":
                case "debug":
                    l = Level.VERBOSE;
                    break;
                case "warn":
                case "warning":
                    l = Level.WARN;
                    break;
                case "error":
                    l = Level.ERROR;
                    break;
                case "silent":
                    l = null;
                    break;
                default:
                    break;
            }
        }
        return new Log(l, prefix);
    }

    @Override
    public void log(Level level, String message) {
        if (threshold == null || level.ordinal() > threshold.ordinal()) {
            return;
        }
        String tag = switch (level) {
            case ERROR -> "ERROR";
            case WARN -> "WARN";
            case INFO -> "INFO";
            case VERBOSE -> "DEBUG";
        };
        System.err.println(tag + ": (" + prefix + ") " + LocalDateTime.now().format(TIME) + " " + message);
    }

    public void info(String message) {
        log(Level.INFO, message);
    }

    public void warn(String message) {
        log(Level.WARN, message);
    }

    public void error(String message) {
        log(Level.ERROR, message);
    }

    public void verbose(String message) {
        log(Level.VERBOSE, message);
    }
}
