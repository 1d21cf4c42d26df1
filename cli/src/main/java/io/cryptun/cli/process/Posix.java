package io.cryptun.cli.process;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.nio.charset.StandardCharsets;

/**
 * The few libc calls a daemon needs that Java has no API for: a new session, pointing its standard
 * descriptors elsewhere, AF_UNIX datagrams (sd_notify; Java 17 has stream unix sockets only), and a
 * signal's default disposition.
 */
public final class Posix {
    static final int AF_UNIX = 1;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int O_RDWR = 2;
    static final int O_CLOEXEC = 0x80000;
    static final int MSG_NOSIGNAL = 0x4000;
    /** sizeof(struct sockaddr_un): a 2-byte family, then 108 bytes of path. */
    static final int SOCKADDR_UN_SIZE = 110;

    interface LibC extends Library {
        LibC INSTANCE = Native.load("c", LibC.class);

        int setsid() throws LastErrorException;

        int open(String path, int flags) throws LastErrorException;

        int dup2(int from, int to) throws LastErrorException;

        int close(int fd);

        int socket(int domain, int type, int protocol) throws LastErrorException;

        int sendto(int fd, byte[] buf, long len, int flags, byte[] addr, int addrlen) throws LastErrorException;

        /** signal(2); a null handler is SIG_DFL. Returns the previous handler, SIG_ERR (-1) on failure. */
        com.sun.jna.Pointer signal(int signum, com.sun.jna.Pointer handler);
    }

    private Posix() {
    }

    /** setsid(2): this process leads a new session, so the caller's terminal hangups and ^C no longer reach it. */
    public static void newSession() {
        try {
            LibC.INSTANCE.setsid();
        } catch (LastErrorException e) {
            // EPERM: already a process group leader (started by a shell's exec); nothing to leave then
        }
    }

    /**
     * Gives signal {@code signum} its default disposition again (signal(2) with SIG_DFL); false when
     * libc refused. For a signal the process inherited as ignored: the JVM installs no handler for it.
     */
    public static boolean defaultDisposition(int signum) {
        com.sun.jna.Pointer previous = LibC.INSTANCE.signal(signum, null);
        return com.sun.jna.Pointer.nativeValue(previous) != -1L;
    }

    /** Points the descriptor {@code fd} (1: stdout, 2: stderr) at /dev/null. */
    public static void toDevNull(int fd) {
        int devNull = LibC.INSTANCE.open("/dev/null", O_RDWR | O_CLOEXEC);
        try {
            LibC.INSTANCE.dup2(devNull, fd);
        } finally {
            LibC.INSTANCE.close(devNull);
        }
    }

    /**
     * A struct sockaddr_un for {@code path} and its length; a path starting with '@' names an
     * abstract socket (a leading NUL instead, as systemd writes it in NOTIFY_SOCKET).
     */
    static byte[] unixAddress(String path) {
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        if (p.length == 0 || p.length >= SOCKADDR_UN_SIZE - 2) {
            throw new IllegalArgumentException("unix socket path must be 1 to 107 bytes: " + path);
        }
        boolean abstractName = p[0] == '@';
        // family in host byte order (little-endian on the platforms cryptun runs on) then the path;
        // a file path keeps its terminating NUL, an abstract name is exactly its bytes
        byte[] addr = new byte[2 + p.length + (abstractName ? 0 : 1)];
        addr[0] = AF_UNIX;
        System.arraycopy(p, 0, addr, 2, p.length);
        if (abstractName) {
            addr[2] = 0;
        }
        return addr;
    }

    /** Sends one datagram to the unix socket at {@code path} (a fresh socket each time: rare messages). */
    public static void sendDatagram(String path, byte[] message) throws LastErrorException {
        byte[] addr = unixAddress(path);
        int fd = LibC.INSTANCE.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        try {
            LibC.INSTANCE.sendto(fd, message, message.length, MSG_NOSIGNAL, addr, addr.length);
        } finally {
            LibC.INSTANCE.close(fd);
        }
    }
}
