package io.cryptun.tun.offload;

/**
 * A read from a vnet-header TUN device that {@link GsoSplitter} could not turn into packets. Nothing was written to
 * the caller's buffers; drop the read and count it. Carries no stack trace (it is a per-packet verdict, cheap to
 * throw, not a bug report).
 */
public final class GsoSplitException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why the read was rejected. */
    public enum Reason {
        /** Shorter than the virtio-net header, or the IP/transport headers it describes. */
        TRUNCATED,
        /** The virtio-net header contradicts the packet, or the packet's own headers are invalid. */
        MALFORMED,
        /** A GSO type this implementation does not handle (UFO, unknown types, IPv6 extension headers). */
        UNSUPPORTED,
        /** The packet splits into more segments than buffers were given. */
        TOO_MANY_SEGMENTS,
        /** An output buffer is too small for its segment. */
        BUFFER_TOO_SMALL
    }

    private final Reason reason;

    GsoSplitException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
