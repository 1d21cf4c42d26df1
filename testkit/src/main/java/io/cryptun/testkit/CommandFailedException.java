package io.cryptun.testkit;

/** A command exited non-zero, timed out or could not be started; the message carries its output. */
public final class CommandFailedException extends RuntimeException {

    public CommandFailedException(String message) {
        super(message);
    }

    public CommandFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
