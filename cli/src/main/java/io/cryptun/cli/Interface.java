package io.cryptun.cli;

import io.cryptun.cli.daemon.Daemon;
import io.cryptun.cli.daemon.MetricsServer;
import io.cryptun.cli.daemon.TunOffloads;
import io.cryptun.cli.process.ExternalCommand;
import io.cryptun.cli.process.Log;
import io.cryptun.cli.process.Readiness;
import io.cryptun.cli.process.SdNotify;
import io.cryptun.cli.process.Signals;
import io.cryptun.cli.uapi.UapiProtocol;
import io.cryptun.cli.uapi.UapiServer;
import io.cryptun.noise.crypto.TransportCipher;
import io.cryptun.noise.crypto.X25519Keys;
import io.cryptun.noise.device.Device;
import io.cryptun.noise.device.Protocol;
import io.cryptun.tun.TunDevice;
import io.cryptun.tun.TunException;
import java.io.IOException;
import java.net.BindException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A running interface as the command line starts it: TUN device, daemon and userspace-API
 * socket, torn down together (deleting the socket file or the device stops it all).
 */
public final class Interface implements AutoCloseable {
    private final Daemon daemon;
    private final UapiProtocol uapi;
    private volatile UapiServer server;
    private volatile MetricsServer metrics;
    private final Log log;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** What a signal or the JVM's exit runs: closing this interface, or more (the mesh withdraws first). */
    private volatile Runnable stopAction = this::close;

    private Interface(Daemon daemon, UapiProtocol uapi, Log log) {
        this.daemon = daemon;
        this.uapi = uapi;
        this.log = log;
    }

    /**
     * Creates the TUN device and starts the daemon on {@code listenPort}. The UAPI socket comes
     * with {@link #openUapiSocket()}, so callers can finish configuring first: the socket's
     * appearance then means "ready", which scripts and tests wait for.
     */
    public static Interface start(String ifname, int listenPort, String crypto, Log log, String metricsHostPort) {
        return start(ifname, listenPort, crypto, log, Daemon.DEFAULT_WARM_UP_HANDSHAKES, metricsHostPort);
    }

    /**
     * As {@link #start(String, int, String, Log, String)}, with a start-up warm-up of that many
     * handshakes (0: none). The crypto backend and the metrics address ({@code null}: none) are
     * checked, and the metrics port bound, before the TUN device is created: a bad argument leaves
     * no device behind.
     */
    public static Interface start(String ifname, int listenPort, String crypto, Log log, int warmUpHandshakes,
                                  String metricsHostPort) {
        String cipher = checkCrypto(crypto);
        String x25519 = checkX25519(cipher);
        checkSocketFree(ifname);
        MetricsServer metrics = null;
        if (metricsHostPort != null) {
            try {
                metrics = MetricsServer.bind(metricsHostPort);
            } catch (IOException e) {
                throw new UserException("--metrics " + metricsHostPort + ": " + e.getMessage());
            }
        }
        try {
            Interface itf = open(ifname, listenPort, crypto, log, warmUpHandshakes);
            // what --crypto auto chose is worth knowing when comparing throughput
            String jit = JitMode.current();
            log.verbose("data path: ChaCha20-Poly1305 by the " + cipher + " backend, X25519 by " + x25519 + "'s, JIT: " + jit);
            if (jit.equals(JitMode.QUICK) && !cipher.equals("openssl")) {
                // the JDK's ChaCha20 and Poly1305 intrinsics are C2's: the launcher picks C2 for such a cipher
                log.info("the quick JIT compiler alone runs the " + cipher + " cipher without its intrinsics:"
                        + " the data path is slower (CRYPTUN_JIT=optimizing, or unset, fixes it)");
            }
            if (metrics != null) {
                metrics.serve(itf.name(), itf.daemon.device());
                itf.metrics = metrics;
            }
            return itf;
        } catch (RuntimeException e) {
            if (metrics != null) {
                metrics.close();
            }
            throw e;
        }
    }

    /**
     * The --crypto value names a backend that works here (libsodium installed, for sodium; JDK 22+
     * and libcrypto, for openssl); returns the backend's name (what auto chose).
     */
    public static String checkCrypto(String crypto) {
        try {
            return TransportCipher.create(crypto).name();
        } catch (IllegalArgumentException | IllegalStateException | LinkageError e) {
            throw new UserException("--crypto " + crypto + ": " + e.getMessage());
        }
    }

    /**
     * Handshakes take their X25519 from libcrypto exactly when the data path does (so that
     * {@code --crypto jdk} loads no native library), unless {@code -Dcryptun.x25519} says otherwise,
     * which is checked here; returns the implementation in use.
     */
    public static String checkX25519(String cipherBackend) {
        try {
            return X25519Keys.follow(cipherBackend);
        } catch (IllegalArgumentException | IllegalStateException | LinkageError e) {
            throw new UserException(e.getMessage());
        }
    }

    /** No live daemon serves IFNAME's UAPI socket (checked again, race-free, when the socket is made). */
    public static void checkSocketFree(String ifname) {
        try {
            UapiServer.checkNotInUse(UapiServer.DEFAULT_DIR, ifname);
        } catch (IOException e) {
            throw new UserException(e.getMessage());
        }
    }

    private static Interface open(String ifname, int listenPort, String crypto, Log log, int warmUpHandshakes) {
        TunDevice tun;
        try {
            tun = TunOffloads.open(ifname, !"off".equalsIgnoreCase(System.getenv("CRYPTUN_OFFLOAD")));
            // wireguard-go's default: 1500 minus the IPv6 + UDP + WireGuard overhead (80 bytes),
            // so sealed packets fit a 1500-byte path unfragmented; wg-quick and users change it after
            tun.setMtu(Device.DEFAULT_MTU);
        } catch (TunException e) {
            throw new UserException(e.getMessage());
        }
        Daemon daemon;
        try {
            daemon = Daemon.start(tun, listenPort, log, crypto, warmUpHandshakes);
        } catch (BindException e) {
            closeQuietly(tun);
            throw new UserException(e.getMessage());
        } catch (RuntimeException e) {
            closeQuietly(tun);
            throw e;
        }
        Interface itf = new Interface(daemon, new UapiProtocol(daemon, Protocol.MAX_PEERS), log);
        itf.handleStopSignals();
        return itf;
    }

    /** Creates /var/run/wireguard/IFNAME.sock; deleting it later stops the interface. */
    public void openUapiSocket() {
        daemon.awaitWarmUp();
        try {
            server = UapiServer.start(UapiServer.DEFAULT_DIR, name(), uapi, log::info, daemon::close);
        } catch (IOException e) {
            close();
            throw new UserException("cannot create the UAPI socket: " + e.getMessage());
        }
        if (closed.get()) {
            // a signal stopped it while it started: no socket may outlive it
            closeServer();
            throw new UserException("interface " + name() + " was stopped while starting");
        }
    }

    private static void closeQuietly(TunDevice tun) {
        tun.close();
    }

    public Daemon daemon() {
        return daemon;
    }

    public UapiProtocol uapi() {
        return uapi;
    }

    public String name() {
        return daemon.tun().name();
    }

    /**
     * Runs iproute2's {@code ip ARGS...} to configure this interface (MTU, addresses, link state, as
     * wg-quick does); a failure is a UserException naming the command and carrying ip's own error.
     */
    public void ip(String... args) {
        try {
            ExternalCommand.ipOrThrow(args);
        } catch (IOException e) {
            throw new UserException(e.getMessage());
        }
    }

    /**
     * The interface answers on its UAPI socket: logs {@code message} and says so to systemd and to
     * the parent of a background daemon (see {@link Readiness}).
     */
    public void announceReady(String message) {
        log.info(message);
        Readiness.announce(message);
    }

    /**
     * Runs until the daemon stops: its socket file or device deleted, or SIGINT/SIGTERM, after
     * which the process ends with status 0 (see {@link Signals#stopOnTermOrInt}).
     */
    public void runUntilStopped() throws InterruptedException {
        runUntilStopped(this::close);
    }

    /** As {@link #runUntilStopped()}, with {@code stop} (which must close this interface) run on a signal or at exit. */
    public void runUntilStopped(Runnable stop) throws InterruptedException {
        stopAction = stop;
        daemon.awaitStop();
        stop.run();
    }

    /**
     * From the moment the device exists: a signal or the JVM's exit runs the stop action, so the
     * device and socket go away, and SIGTERM ends the process with status 0, even when it comes
     * before {@link #runUntilStopped} (say, right after systemd heard READY=1).
     */
    private void handleStopSignals() {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stopAction.run(), "cryptun-shutdown"));
        Signals.stopOnTermOrInt(() -> {
            SdNotify.stopping();
            stopAction.run();
        });
    }

    private void closeServer() {
        UapiServer s = server;
        if (s != null) {
            s.close();
        }
        MetricsServer m = metrics;
        if (m != null) {
            m.close();
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        closeServer();
        daemon.close();
        log.info("interface " + name() + " stopped");
    }
}
