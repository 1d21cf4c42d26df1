package io.cryptun.cli.uapi;

import io.cryptun.noise.device.Device;

/**
 * A UAPI target with a real protocol core and no sockets: the listen port and fwmark are numbers,
 * and every port can be "bound" (port 0 picks 40000). For tests that exercise the protocol, not
 * the daemon's sockets.
 */
final class InMemoryUapiTarget implements UapiTarget {
    private final Device device;
    private int port;
    private int fwmark;

    InMemoryUapiTarget(Device device) {
        this.device = device;
    }

    @Override
    public Device device() {
        return device;
    }

    @Override
    public synchronized int listenPort() {
        return port;
    }

    @Override
    public synchronized PortChange prepareListenPort(int newPort, Integer mark) {
        return new PortChange() {
            @Override
            public void commit() {
                synchronized (InMemoryUapiTarget.this) {
                    port = newPort == 0 ? 40000 : newPort;
                    if (mark != null) {
                        fwmark = mark;
                    }
                }
            }

            @Override
            public void abandon() {
            }
        };
    }

    @Override
    public synchronized int fwmark() {
        return fwmark;
    }

    @Override
    public synchronized void setFwmark(int mark) {
        fwmark = mark;
    }
}
