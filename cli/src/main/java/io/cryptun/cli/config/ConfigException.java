package io.cryptun.cli.config;

import java.util.OptionalInt;

/**
 * A configuration file that cannot be used. The message is always one line,
 * {@code FILE:LINE: problem} (or {@code FILE: problem} when no single line is at fault), and
 * never holds a private or preshared key.
 */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String file;
    private final int line;
    private final String problem;

    /** A problem on {@code line} (1-based) of {@code file}. */
    public ConfigException(String file, int line, String problem) {
        super(MessageText.oneLine(file) + ":" + line + ": " + MessageText.oneLine(problem));
        if (line < 1) {
            throw new IllegalArgumentException("line numbers start at 1");
        }
        this.file = file;
        this.line = line;
        this.problem = problem;
    }

    /** A problem with the file as a whole (missing, unreadable, a section missing). */
    public ConfigException(String file, String problem) {
        super(MessageText.oneLine(file) + ": " + MessageText.oneLine(problem));
        this.file = file;
        this.line = 0;
        this.problem = problem;
    }

    public String file() {
        return file;
    }

    /** The 1-based line at fault, or empty when the problem concerns the whole file. */
    public OptionalInt line() {
        return line == 0 ? OptionalInt.empty() : OptionalInt.of(line);
    }

    public String problem() {
        return MessageText.oneLine(problem);
    }
}
