package io.cryptun.cli.uapi;

/** A refused set request: the errno to answer and a reason for the log (never a secret). */
public final class UapiException extends Exception {
    private final int errno;

    public UapiException(int errno, String reason) {
        super(reason);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
