package io.cryptun.cli.uapi;

import io.cryptun.noise.device.Device;
import java.io.IOException;
import java.net.BindException;

/** What the userspace API configures: the protocol core plus the socket the daemon owns. */
public interface UapiTarget {
    Device device();

    int listenPort();

    /**
     * Prepares a rebind to {@code port} (0: any free port) without giving up the current socket,
     * so a failure changes nothing; a non-null {@code fwmark} is set on the new socket too. Returns
     * a handle to commit or abandon.
     */
    PortChange prepareListenPort(int port, Integer fwmark) throws BindException, IOException;

    int fwmark();

    void setFwmark(int mark) throws IOException;

    /** A prepared rebind: commit() swaps to the new socket, abandon() closes it. */
    interface PortChange {
        void commit();

        void abandon();
    }
}
