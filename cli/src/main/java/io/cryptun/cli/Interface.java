package io.cryptun.cli;

import io.cryptun.cli.daemon.Daemon;
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
    private final Daemon daemon;
    private final UapiProtocol uapi;
    private final UapiServer server;
    private final Log log;

    private Interface(Daemon daemon, UapiProtocol uapi, UapiServer server, Log log) {
        this.daemon = daemon;
        this.uapi = uapi;
        this.server = server;
        this.log = log;
    }

    /** Creates the TUN device, starts the daemon on {@code listenPort} and opens the UAPI socket. */
    public static Interface start(String ifname, int listenPort, String crypto, Log log) {
        TunDevice tun;
        try {
            tun = TunDevice.open(ifname);
        } catch (TunException e) {
            throw new UserException(e.getMessage());
        }
        Daemon daemon;
        try {
            daemon = Daemon.start(tun, listenPort, log, crypto);
        } catch (BindException e) {
            closeQuietly(tun);
            throw new UserException(e.getMessage());
        } catch (RuntimeException e) {
            closeQuietly(tun);
            throw e;
        }
        UapiProtocol uapi = new UapiProtocol(daemon, Protocol.MAX_PEERS);
        UapiServer server;
        try {
            server = UapiServer.start(UapiServer.DEFAULT_DIR, tun.name(), uapi, log::error, daemon::close);
        } catch (IOException e) {
            daemon.close();
            throw new UserException("cannot create the UAPI socket: " + e.getMessage());
        }
        return new Interface(daemon, uapi, server, log);
    }

    private static void closeQuietly(TunDevice tun) {
        try {
            tun.close();
        } catch (IOException e) {
            // already failing
        }
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
        server.close();
    }

    @Override
    public void close() {
        server.close();
        daemon.close();
        log.info("interface " + name() + " stopped");
    }
}
