package io.cryptun.routing;

/**
 * A cryptun record that cannot be used. The {@link Problem} tells a caller whether waiting may
 * help: bmx7 rewrites received sms files non-atomically, so an {@link Problem#INCOMPLETE} record
 * may be a file caught half-written, while every other problem is final for that content.
 */
public final class RecordFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    public enum Problem {
        /** Empty, or no terminating newline yet: possibly a file caught mid-write. */
        INCOMPLETE,
        /** Larger than {@link CryptunRecord#MAX_BYTES}; a partial write can never be larger, so final. */
        OVERSIZED,
        /** A {@code v=} this implementation does not speak. */
        UNSUPPORTED_VERSION,
        /** Anything else: bad syntax, bad or missing known field. */
        MALFORMED
    }

    private final Problem problem;

    public RecordFormatException(Problem problem, String message) {
        super(message);
        this.problem = problem;
    }

    public Problem problem() {
        return problem;
    }

    /** True when the same content can never become valid by waiting. */
    public boolean isFinal() {
        return problem != Problem.INCOMPLETE;
    }
}
