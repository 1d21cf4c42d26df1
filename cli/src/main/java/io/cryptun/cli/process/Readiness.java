package io.cryptun.cli.process;

/**
 * Says "the interface is ready" (its UAPI socket accepts connections) to whoever waits for it:
 * systemd ({@link SdNotify}) and, for the background form {@code cryptun IFNAME}, the parent
 * process that started this one. That parent gave us a pipe as stdout and reads it until the
 * marker line; then this process points stdout and stderr at /dev/null, so that no caller
 * ({@code out=$(cryptun wg0)}, {@code wg-quick up wg0 | cat}, ssh) waits on descriptors a daemon
 * holds. stderr stays when it is the systemd journal: that is a log, not a caller.
 */
public final class Readiness {
    /** Set by the parent: stdout is its readiness pipe. */
    public static final String PARENT_ENV = "CRYPTUN_READY_ON_STDOUT";
    /** The line the parent waits for. */
    public static final String MARKER = "READY=1";

    private Readiness() {
    }

    private static boolean parentWaiting() {
        return "1".equals(System.getenv(PARENT_ENV));
    }

    /** Before anything else in a background child: a session of its own, away from the caller's terminal. */
    public static void detachFromSession() {
        if (parentWaiting()) {
            Posix.newSession();
        }
    }

    /** The interface answers on its socket: tell systemd and the waiting parent, then let go of their descriptors. */
    public static void announce(String status) {
        SdNotify.ready(status);
        if (!parentWaiting()) {
            return;
        }
        boolean keepStderr = JournalStream.isStderr();
        System.out.println(MARKER);
        System.out.flush();
        Posix.toDevNull(1);
        if (!keepStderr) {
            System.err.flush();
            Posix.toDevNull(2);
        }
    }
}
