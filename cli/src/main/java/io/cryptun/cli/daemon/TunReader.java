package io.cryptun.cli.daemon;

import io.cryptun.cli.process.Log;
import io.cryptun.noise.crypto.TransportCipher;
import io.cryptun.noise.device.Device;
import io.cryptun.noise.device.PacketSink;
import io.cryptun.noise.device.Protocol;
import io.cryptun.noise.device.Worker;
import io.cryptun.tun.TunDevice;
import io.cryptun.tun.offload.GsoSplitException;
import io.cryptun.tun.offload.GsoSplitter;
import io.cryptun.tun.offload.VirtioNetHeader;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A daemon's send path, on its TUN reader thread: a burst of packets read from the TUN device (a
 * super-packet split into MTU-sized segments with offloads), each handed to the device, which
 * seals it in place, and the burst's datagrams sent together (one sendmmsg, a segmented send for
 * runs of equal size). It stops the daemon when the device goes away.
 */
final class TunReader implements Runnable {
    /** Bursts of packets per wake-up: the TUN device hands over what is ready, the socket sends it at once. */
    private static final int TUN_BURST = 16;

    private final Device device;
    private final TunDevice tun;
    private final boolean vnet;
    private final String cipherBackend;
    private final Supplier<UdpTransport> udp;
    private final Log log;
    private final BooleanSupplier running;
    private final Runnable stop;
    private final GsoSplitter splitter = new GsoSplitter();

    TunReader(Device device, TunDevice tun, String cipherBackend, Supplier<UdpTransport> udp, Log log,
            BooleanSupplier running, Runnable stop) {
        this.device = device;
        this.tun = tun;
        this.vnet = tun.options().vnetHeader();
        this.cipherBackend = cipherBackend;
        this.udp = udp;
        this.log = log;
        this.running = running;
        this.stop = stop;
    }

    /** Datagrams from one thread, handed to the UDP event loop once per burst (one sendmmsg). */
    private final class BatchingSink implements PacketSink {
        /** A packet for the TUN device goes there on its own, as the other threads' do. */
        private final DaemonSink single = new DaemonSink(udp, tun, log, running);
        private UdpSendBatch batch;
        private UdpTransport batchOf;

        @Override
        public boolean sendDatagram(InetSocketAddress to, byte[] buf, int off, int len) {
            return currentBatch().add(to, buf, off, len);
        }

        /** The batch of the transport in use now; a new one (the last flushed) when the port changed. */
        private UdpSendBatch currentBatch() {
            UdpTransport current = udp.get();
            if (batchOf != current) {
                flush();
                batch = current.newBatch();
                batchOf = current;
            }
            return batch;
        }

        @Override
        public void writeTun(byte[] buf, int off, int len) {
            single.writeTun(buf, off, len);
        }

        void flush() {
            if (batch != null) {
                batch.flush();
            }
        }
    }

    @Override
    public void run() {
        Worker w = new Worker(TransportCipher.create(cipherBackend));
        BatchingSink sink = new BatchingSink();
        int room = vnet ? VirtioNetHeader.SIZE + Worker.MAX_PACKET : Worker.MAX_PACKET;
        ByteBuffer[] bufs = new ByteBuffer[TUN_BURST];
        int[] lengths = new int[TUN_BURST];
        for (int i = 0; i < TUN_BURST; i++) {
            bufs[i] = ByteBuffer.allocateDirect(room);
        }
        byte[] work = new byte[Protocol.HEADROOM + room + Protocol.TAILROOM];
        Segments segments = new Segments();
        udp.get().warmAllocator();
        while (running.getAsBoolean()) {
            int n;
            try {
                n = tun.readBatch(bufs, lengths);
            } catch (IOException e) {
                if (running.getAsBoolean()) {
                    if (java.nio.file.Files.exists(java.nio.file.Path.of("/sys/class/net", tun.name()))) {
                        log.error("TUN read failed, stopping: " + e.getMessage());
                    } else {
                        log.info("TUN device " + tun.name() + " was removed, stopping");
                    }
                    stop.run();
                }
                return;
            }
            if (n < 0) {
                if (running.getAsBoolean()) {
                    log.info("TUN device " + tun.name() + " is gone, stopping");
                    stop.run();
                }
                return;
            }
            if (!device.isUp()) {
                // the kernel hands out packets only on a link that is up: the poll has not seen it yet
                device.setUp(true);
            }
            for (int i = 0; i < n; i++) {
                ByteBuffer b = bufs[i];
                b.flip();
                try {
                    if (vnet) {
                        b.get(work, 0, lengths[i]);
                        int count = segments.split(work, lengths[i]);
                        for (int j = 0; j < count; j++) {
                            device.sendPacket(w, segments.out[j], Protocol.HEADROOM, segments.lengths[j], sink);
                        }
                    } else {
                        b.get(work, Protocol.HEADROOM, lengths[i]);
                        device.sendPacket(w, work, Protocol.HEADROOM, lengths[i], sink);
                    }
                } catch (RuntimeException e) {
                    log.error("dropped an outbound packet: " + e);
                }
                b.clear();
            }
            sink.flush();
        }
    }

    /**
     * The MTU-sized packets of one TUN read, each in its own buffer with room for the transport
     * header before it and padding and tag after it, so the core seals them in place.
     */
    private final class Segments {
        byte[][] out = new byte[64][];
        int[] lengths = new int[64];
        private int segmentRoom = 2048;

        Segments() {
            allocate(64, segmentRoom);
        }

        /** Splits {@code read} (header + packet); returns the packet count, 0 when it is dropped. */
        int split(byte[] read, int len) {
            for (int attempt = 0; attempt < 8; attempt++) {
                try {
                    return splitter.split(read, 0, len, out, Protocol.HEADROOM, lengths);
                } catch (GsoSplitException e) {
                    if (e.reason() != GsoSplitException.Reason.BUFFER_TOO_SMALL) {
                        device.countMalformedOutbound();
                        return 0;
                    }
                }
                // more segments than buffers (a small MSS), or segments larger than the buffers: grow
                int count;
                try {
                    count = splitter.packetCount(read, 0, len);
                } catch (GsoSplitException e) {
                    device.countMalformedOutbound();
                    return 0;
                }
                if (count > out.length) {
                    allocate(count, segmentRoom);
                } else {
                    allocate(out.length, Math.min(Worker.MAX_PACKET, 2 * segmentRoom));
                }
            }
            device.countMalformedOutbound();
            return 0;
        }

        private void allocate(int count, int room) {
            segmentRoom = room;
            out = new byte[count][];
            lengths = new int[count];
            for (int i = 0; i < count; i++) {
                out[i] = new byte[Protocol.HEADROOM + room + Protocol.TAILROOM];
            }
        }
    }
}
