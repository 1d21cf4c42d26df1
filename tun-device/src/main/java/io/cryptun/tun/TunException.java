package io.cryptun.tun;

import java.io.IOException;

/** A TUN device operation failed; the message says what and, where it helps, how to fix it. */
public class TunException extends IOException {

    private final int errno;

    public TunException(String message) {
        this(message, 0);
    }

    public TunException(String message, int errno) {
        super(message);
        this.errno = errno;
    }

    /** The Linux errno behind the failure, or 0 if it did not come from a system call. */
    public int errno() {
        return errno;
    }
}
