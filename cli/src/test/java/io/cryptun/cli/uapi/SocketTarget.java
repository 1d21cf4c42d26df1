package io.cryptun.cli.uapi;

import io.cryptun.noise.device.Device;
import java.io.IOException;
import java.net.BindException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;

/**
 * A UAPI target for tests: a real protocol core and a real UDP socket on loopback (so a port in
 * use is really in use), without the TUN device and threads of the daemon. The fwmark is kept as a
 * number only (setting SO_MARK needs CAP_NET_ADMIN and is the daemon's business).
 */
final class SocketTarget implements UapiTarget, AutoCloseable {
    private final Device device = Device.builder().build();
    private DatagramSocket socket;
    private int fwmark;

    SocketTarget() throws SocketException {
        socket = bind(0);
    }

    private static DatagramSocket bind(int port) throws SocketException {
        return new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    }

    @Override
    public Device device() {
        return device;
    }

    @Override
    public synchronized int listenPort() {
        return socket.getLocalPort();
    }

    @Override
    public synchronized PortChange prepareListenPort(int port, Integer mark) throws BindException, IOException {
        DatagramSocket fresh;
        try {
            fresh = bind(port);
        } catch (BindException e) {
            throw e;
        } catch (SocketException e) {
            throw new BindException(e.getMessage());
        }
        return new PortChange() {
            @Override
            public void commit() {
                synchronized (SocketTarget.this) {
                    socket.close();
                    socket = fresh;
                    if (mark != null) {
                        fwmark = mark;
                    }
                }
            }

            @Override
            public void abandon() {
                fresh.close();
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

    @Override
    public synchronized void close() {
        socket.close();
    }
}
