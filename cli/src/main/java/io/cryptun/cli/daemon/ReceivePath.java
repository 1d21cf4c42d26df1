package io.cryptun.cli.daemon;

import io.cryptun.cli.process.Log;
import io.cryptun.noise.crypto.TransportCipher;
import io.cryptun.noise.device.Device;
import io.cryptun.noise.device.PacketSink;
import io.cryptun.noise.device.Worker;
import io.cryptun.tun.TunDevice;
import io.cryptun.tun.TunOffload;
import io.cryptun.tun.offload.GroCoalescer;
import io.cryptun.tun.offload.VirtioNetHeader;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A daemon's receive path, on its UDP event loop: each datagram read goes to the device (which
 * opens it, or answers a handshake through the current socket), and what it decrypts goes to the
 * TUN device; with offloads, a read burst's packets are written at the burst's end, a flow's TCP
 * segments merged into super-packets.
 */
final class ReceivePath {
    private ReceivePath() {
    }

    /** A receiver for a new socket, with its own worker (one per event loop thread). */
    static UdpTransport.Receiver newReceiver(Device device, TunDevice tun, String cipherBackend,
            Supplier<UdpTransport> udp, Log log, BooleanSupplier running) {
        Worker w = new Worker(TransportCipher.create(cipherBackend));
        if (!tun.options().vnetHeader()) {
            return new TunReceiver(device, w, new DaemonSink(udp, tun, log, running), tun);
        }
        GroSink sink = new GroSink(tun, udp, log, running);
        return new TunReceiver(device, w, sink, tun) {
            @Override
            public void onBurstEnd() {
                sink.flush();
            }
        };
    }

    /** Hands each datagram to the device, whose output goes to {@code sink}; prepares the TUN writes. */
    private static class TunReceiver implements UdpTransport.Receiver {
        private final Device device;
        private final Worker worker;
        private final PacketSink sink;
        private final TunDevice tun;

        TunReceiver(Device device, Worker worker, PacketSink sink, TunDevice tun) {
            this.device = device;
            this.worker = worker;
            this.sink = sink;
            this.tun = tun;
        }

        @Override
        public void onDatagram(byte[] buf, int off, int len, InetSocketAddress from) {
            device.receive(worker, buf, off, len, from, sink);
        }

        @Override
        public void prepare() {
            tun.prepareThread();
        }
    }

    /**
     * On the UDP event loop with offloads: decrypted packets of one read burst are kept (copied, as
     * the receive buffer is reused) and written at the burst's end, the TCP segments of a flow merged
     * into super-packets, so the kernel sees one write (and one big receive) per flow and burst.
     */
    private static final class GroSink implements PacketSink {
        private static final int BATCH = 128;
        private final Supplier<UdpTransport> udp;
        private final Log log;
        private final BooleanSupplier running;
        // UDP too when the device takes UDP segmentation (USO, Linux 6.2+): small-packet floods
        // then cost one TUN write per burst as TCP does
        private final GroCoalescer coalescer;
        private final byte[][] pool = new byte[BATCH][];
        private final GroCoalescer.TunWriter writer;

        GroSink(TunDevice tun, Supplier<UdpTransport> udp, Log log, BooleanSupplier running) {
            this.udp = udp;
            this.log = log;
            this.running = running;
            this.coalescer = new GroCoalescer(BATCH, tun.offloads().contains(TunOffload.USO4));
            this.writer = (buf, off, len) -> tun.write(buf, off, len);
        }

        @Override
        public boolean sendDatagram(InetSocketAddress to, byte[] buf, int off, int len) {
            return udp.get().send(to, buf, off, len);
        }

        @Override
        public void writeTun(byte[] buf, int off, int len) {
            if (coalescer.size() == BATCH) {
                flush();
            }
            int slot = coalescer.size();
            byte[] b = pool[slot];
            if (b == null || b.length < VirtioNetHeader.SIZE + len) {
                b = new byte[VirtioNetHeader.SIZE + Math.max(len, 2048)];
                pool[slot] = b;
            }
            System.arraycopy(buf, off, b, VirtioNetHeader.SIZE, len);
            coalescer.add(b, VirtioNetHeader.SIZE, len);
        }

        void flush() {
            if (coalescer.size() == 0) {
                return;
            }
            try {
                coalescer.flush(writer);
            } catch (IOException e) {
                if (running.getAsBoolean()) {
                    log.verbose("TUN write failed: " + e.getMessage());
                }
            }
        }
    }
}
