package io.cryptun.cli.daemon;

import io.cryptun.cli.process.Log;
import io.cryptun.noise.device.PacketSink;
import io.cryptun.tun.TunDevice;
import io.cryptun.tun.offload.VirtioNetHeader;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Where a daemon's threads put what the device hands them one at a time: a datagram goes out at
 * once through whatever socket is current (the listen port can change under it), a packet goes to
 * the TUN device on its own (with an empty virtio-net header in offload mode). The handshake
 * worker and the timers use it, and the receive path where the device has no offloads.
 */
final class DaemonSink implements PacketSink {
    private final Supplier<UdpTransport> udp;
    private final TunDevice tun;
    private final boolean vnet;
    private final Log log;
    private final BooleanSupplier running;

    DaemonSink(Supplier<UdpTransport> udp, TunDevice tun, Log log, BooleanSupplier running) {
        this.udp = udp;
        this.tun = tun;
        this.vnet = tun.options().vnetHeader();
        this.log = log;
        this.running = running;
    }

    @Override
    public boolean sendDatagram(InetSocketAddress to, byte[] buf, int off, int len) {
        return udp.get().send(to, buf, off, len);
    }

    /** One packet to the TUN device, with an empty virtio-net header in offload mode. */
    @Override
    public void writeTun(byte[] buf, int off, int len) {
        try {
            if (vnet) {
                byte[] b = new byte[VirtioNetHeader.SIZE + len];
                System.arraycopy(buf, off, b, VirtioNetHeader.SIZE, len);
                tun.write(b, 0, b.length);
            } else {
                tun.write(buf, off, len);
            }
        } catch (IOException e) {
            if (running.getAsBoolean()) {
                log.verbose("TUN write failed: " + e.getMessage());
            }
        }
    }
}
