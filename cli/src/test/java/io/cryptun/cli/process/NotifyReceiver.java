package io.cryptun.cli.process;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * What systemd does for a Type=notify service, for tests: binds a unix datagram socket (a file
 * path, or an abstract name given as "@name") and receives the service's notifications. Written
 * apart from {@link Posix} so that the sender's address encoding is checked, not shared.
 */
public final class NotifyReceiver implements AutoCloseable {
    private interface C extends Library {
        C INSTANCE = Native.load("c", C.class);

        int socket(int domain, int type, int protocol) throws LastErrorException;

        int bind(int fd, byte[] addr, int len) throws LastErrorException;

        int setsockopt(int fd, int level, int name, long[] value, int len) throws LastErrorException;

        long recv(int fd, byte[] buf, long len, int flags);

        int close(int fd);
    }

    private static final int SOL_SOCKET = 1;
    private static final int SO_RCVTIMEO = 20;
    private final int fd;
    /** As NOTIFY_SOCKET says it. */
    public final String address;

    public NotifyReceiver(String address) {
        this.address = address;
        byte[] name = address.getBytes(StandardCharsets.UTF_8);
        byte[] sockaddr = new byte[2 + name.length + 1];
        sockaddr[0] = 1; // AF_UNIX, little-endian
        System.arraycopy(name, 0, sockaddr, 2, name.length);
        int len = sockaddr.length;
        if (address.startsWith("@")) {
            sockaddr[2] = 0;
            len = 2 + name.length; // an abstract name has no terminating NUL
        }
        fd = C.INSTANCE.socket(1, 2, 0);
        C.INSTANCE.bind(fd, sockaddr, len);
    }

    /** The next datagram, or empty after {@code timeoutMillis}. */
    public Optional<String> receive(long timeoutMillis) {
        C.INSTANCE.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, new long[] {timeoutMillis / 1000, (timeoutMillis % 1000) * 1000}, 16);
        byte[] buf = new byte[4096];
        long n = C.INSTANCE.recv(fd, buf, buf.length, 0);
        return n < 0 ? Optional.empty() : Optional.of(new String(buf, 0, (int) n, StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        C.INSTANCE.close(fd);
    }
}
