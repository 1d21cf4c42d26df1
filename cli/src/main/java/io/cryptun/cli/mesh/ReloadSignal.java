package io.cryptun.cli.mesh;

import io.cryptun.cli.process.Signals;

/**
 * SIGHUP as "read the configuration again", as daemons do. By default the JVM takes SIGHUP as a
 * reason to shut down, so an operator reloading the mesh secret with {@code kill -HUP} would stop
 * the node instead. The handler is installed through {@link Signals}, also where the process
 * was started with SIGHUP ignored (nohup); where that is impossible, the file is still followed by
 * watching it.
 */
public final class ReloadSignal {
    private ReloadSignal() {
    }

    /** Runs {@code onHangup} on a thread of its own for every SIGHUP; false when that is not possible. */
    public static boolean install(Runnable onHangup) {
        return Signals.handleEvenIfIgnored("HUP", onHangup);
    }
}
