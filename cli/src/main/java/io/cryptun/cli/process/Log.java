package io.cryptun.cli.process;

import io.cryptun.noise.device.EventLog;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/**
 * The daemon's log on stderr, with wireguard-go's LOG_LEVEL values (verbose, error, silent;
 * default: info). Never given secrets: the core logs peers by short public-key labels only.
 * When stderr is the systemd journal, each line starts with its sd-daemon priority ({@code <3>}
 * error, {@code <4>} warning, {@code <6>} info, {@code <7>} debug) and carries no time of its own
 * (the journal stamps it), so {@code journalctl -p warning} finds the warnings.
 */
public final class Log implements EventLog {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy/MM/dd HH:mm:ss");
    private final Level threshold;
    private final String prefix;
    private final boolean journal;

    public Log(Level threshold, String prefix) {
        this(threshold, prefix, false);
    }

    /** {@code journal}: write sd-daemon priority prefixes instead of times. */
    public Log(Level threshold, String prefix, boolean journal) {
        this.threshold = threshold;
        this.prefix = prefix;
        this.journal = journal;
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
        return new Log(l, prefix, JournalStream.isStderr());
    }

    @Override
    public boolean enabled(Level level) {
        return threshold != null && level.ordinal() <= threshold.ordinal();
    }

    @Override
    public void log(Level level, String message) {
        if (threshold == null || level.ordinal() > threshold.ordinal()) {
            return;
        }
        System.err.println(format(level, message));
    }

    /**
     * A line that says what it is by itself, such as a config file's "FILE:LINE: warning: ..."
     * (compiler style, as the parser words them): written as it is, with only the journal's
     * priority in front, so the word "warning" appears once.
     */
    public void plain(Level level, String line) {
        if (threshold == null || level.ordinal() > threshold.ordinal()) {
            return;
        }
        System.err.println((journal ? priority(level) : "") + line);
    }

    /** One log line as it is written, without the line end. */
    String format(Level level, String message) {
        String tag = switch (level) {
            case ERROR -> "ERROR";
            case WARN -> "WARN";
            case INFO -> "INFO";
            case VERBOSE -> "DEBUG";
        };
        if (journal) {
            return priority(level) + tag + ": (" + prefix + ") " + message;
        }
        return tag + ": (" + prefix + ") " + LocalDateTime.now().format(TIME) + " " + message;
    }

    /** The sd-daemon(3) prefix journald reads the line's priority from. */
    static String priority(Level level) {
        return switch (level) {
            case ERROR -> "<3>";
            case WARN -> "<4>";
            case INFO -> "<6>";
            case VERBOSE -> "<7>";
        };
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
