package io.cryptun.cli;

import io.cryptun.cli.daemon.Daemon;
import io.cryptun.cli.daemon.MetricsServer;
import io.cryptun.cli.daemon.TunOffloads;
import io.cryptun.cli.uapi.UapiProtocol;
import io.cryptun.cli.uapi.UapiServer;
import io.cryptun.noise.device.Protocol;
import io.cryptun.tun.TunDevice;
import io.cryptun.tun.TunException;
import java.io.IOException;
import java.net.BindException;

/**
 * A running interface as the command line starts it: TUN device, daemon and userspace-API
 * socket, torn down together (deleting the socket file or the device stops it all).
 */
public final class Interface implements AutoCloseable {
    public static final int DEFAULT_MTU = 1420;
    private final Daemon daemon;
    private final UapiProtocol uapi;
    private volatile UapiServer server;
    private volatile MetricsServer metrics;
    private final Log log;

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
    public static Interface start(String ifname, int listenPort, String crypto, Log log) {
        return start(ifname, listenPort, crypto, log, Daemon.DEFAULT_WARM_UP_HANDSHAKES);
    }

    /** As {@link #start(String, int, String, Log)}, with a start-up warm-up of that many handshakes (0: none). */
    public static Interface start(String ifname, int listenPort, String crypto, Log log, int warmUpHandshakes) {
        TunDevice tun;
        try {
            tun = TunOffloads.open(ifname, !"off".equalsIgnoreCase(System.getenv("CRYPTUN_OFFLOAD")));
            // wireguard-go's default: 1500 minus the IPv6 + UDP + WireGuard overhead (80 bytes),
            // so sealed packets fit a 1500-byte path unfragmented; wg-quick and users change it after
            tun.setMtu(DEFAULT_MTU);
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
        return new Interface(daemon, new UapiProtocol(daemon, Protocol.MAX_PEERS), log);
    }

    /** Serves Prometheus metrics on a loopback HOST:PORT. */
    public void serveMetrics(String hostPort) {
        try {
            metrics = MetricsServer.start(hostPort, name(), daemon.device());
        } catch (IOException e) {
            close();
            throw new UserException("--metrics " + hostPort + ": " + e.getMessage());
        }
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

    /** Runs until the daemon stops, closing everything on SIGINT/SIGTERM. */
    public void runUntilStopped() throws InterruptedException {
        Thread hook = new Thread(this::close, "cryptun-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        daemon.awaitStop();
        closeServer();
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
        closeServer();
        daemon.close();
        log.info("interface " + name() + " stopped");
    }
}
