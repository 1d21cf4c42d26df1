package io.cryptun.cli.process;

import com.sun.jna.LastErrorException;
import java.nio.charset.StandardCharsets;

/**
 * sd_notify(3) without libsystemd: under a {@code Type=notify} unit, systemd names a unix datagram
 * socket in NOTIFY_SOCKET and waits for READY=1 before it counts the service as started (and
 * starts what is ordered after it). Elsewhere NOTIFY_SOCKET is unset and this does nothing.
 */
public final class SdNotify {
    public static final String ENV = "NOTIFY_SOCKET";

    private SdNotify() {
    }

    /** READY=1 with a status line: the interface is up and its UAPI socket answers. */
    public static void ready(String status) {
        send("READY=1\nSTATUS=" + status.replace('\n', ' ') + "\nMAINPID=" + ProcessHandle.current().pid() + "\n");
    }

    /** STOPPING=1: the service is shutting down of its own accord or on a signal. */
    public static void stopping() {
        send("STOPPING=1\n");
    }

    private static void send(String message) {
        send(System.getenv(ENV), message);
    }

    /** Sends {@code message} to {@code socket} as NOTIFY_SOCKET names it; null or empty: nowhere. */
    static void send(String socket, String message) {
        // vsock: addresses (VMs) are not supported: nothing to say there
        if (socket == null || socket.isEmpty() || !(socket.startsWith("/") || socket.startsWith("@"))) {
            return;
        }
        try {
            Posix.sendDatagram(socket, message.getBytes(StandardCharsets.UTF_8));
        } catch (LastErrorException | IllegalArgumentException e) {
            // systemd gone or a bad NOTIFY_SOCKET: the service runs on, as with libsystemd's sd_notify
        }
    }
}
