package io.cryptun.cli.uapi;

/** The negative errno values wireguard-go answers a failed set with (ipc/uapi_unix.go). */
public final class UapiErrno {
    public static final int EIO = -5;
    public static final int EINVAL = -22;
    public static final int EPROTO = -71;
    public static final int EADDRINUSE = -98;
    /** wireguard-go's "unknown error" */
    public static final int ENOANO = -55;

    private UapiErrno() {
    }
}
