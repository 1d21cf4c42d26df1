package io.cryptun.cli.daemon;

import io.cryptun.cli.Log;
import io.cryptun.cli.uapi.UapiTarget;
import io.cryptun.noise.crypto.TransportCipher;
import io.cryptun.noise.device.Device;
import io.cryptun.noise.device.HandshakeQueue;
import io.cryptun.noise.device.PacketSink;
import io.cryptun.noise.device.Protocol;
import io.cryptun.noise.device.Worker;
import io.cryptun.tun.TunDevice;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The IO shell around the sans-IO {@link Device}: a TUN device, a UDP socket and four threads
 * (TUN reader, UDP event loop, handshake worker, timers), each with its own {@link Worker}.
 * It holds no protocol logic of its own.
 */
public final class Daemon implements AutoCloseable, UapiTarget {
    private final Device device;
    private final TunDevice tun;
    private final Log log;
    private final String cipherBackend;
    private volatile UdpTransport udp;
    private final Object udpLock = new Object();
    private volatile boolean running = true;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private Thread tunReader;
    private Thread handshakeWorker;
    private Thread timerThread;
    private volatile int fwmark;

    private Daemon(Device device, TunDevice tun, Log log, String cipherBackend) {
        this.device = device;
        this.tun = tun;
        this.log = log;
        this.cipherBackend = cipherBackend;
    }

    /** Starts the threads on an open TUN device, listening on {@code listenPort} (0: any free port). */
    public static Daemon start(TunDevice tun, int listenPort, Log log, String cipherBackend) throws BindException {
        Device device = Device.builder().eventLog(log).build();
        try {
            device.setMtu(tun.mtu());
        } catch (IOException e) {
            device.setMtu(1420);
        }
        Daemon d = new Daemon(device, tun, log, cipherBackend);
        d.udp = UdpTransport.open(listenPort, d.newReceiver(), named("cryptun-udp"));
        d.startThreads();
        return d;
    }

    @Override
    public Device device() {
        return device;
    }

    public TunDevice tun() {
        return tun;
    }

    @Override
    public int listenPort() {
        return udp.port();
    }

    @Override
    public int fwmark() {
        return fwmark;
    }

    @Override
    public void setFwmark(int mark) throws IOException {
        synchronized (udpLock) {
            SocketOptions.setMark(udp.fd(), mark);
            fwmark = mark;
        }
    }

    /**
     * Binds a new socket on {@code port} (0: a free one) while the old one keeps working; the swap
     * happens on commit, so a port in use leaves everything as it was.
     */
    @Override
    public PortChange prepareListenPort(int port, Integer mark) throws BindException, IOException {
        UdpTransport fresh = UdpTransport.open(port, newReceiver(), named("cryptun-udp"));
        if (mark != null && mark != 0) {
            try {
                SocketOptions.setMark(fresh.fd(), mark);
            } catch (IOException e) {
                fresh.close();
                throw e;
            }
        }
        return new PortChange() {
            @Override
            public void commit() {
                UdpTransport old;
                synchronized (udpLock) {
                    old = udp;
                    udp = fresh;
                    if (mark != null) {
                        fwmark = mark;
                    }
                }
                old.close();
                log.verbose("listening on UDP port " + fresh.port());
            }

            @Override
            public void abandon() {
                fresh.close();
            }
        };
    }

    private UdpTransport.Receiver newReceiver() {
        Worker w = new Worker(TransportCipher.create(cipherBackend));
        PacketSink sink = new Sink();
        return (buf, off, len, from) -> device.receive(w, buf, off, len, from, sink);
    }

    /** Sends through whatever socket is current, writes to the TUN device. */
    private final class Sink implements PacketSink {
        @Override
        public boolean sendDatagram(InetSocketAddress to, byte[] buf, int off, int len) {
            return udp.send(to, buf, off, len);
        }

        @Override
        public void writeTun(byte[] buf, int off, int len) {
            try {
                tun.write(buf, off, len);
            } catch (IOException e) {
                if (running) {
                    log.verbose("TUN write failed: " + e.getMessage());
                }
            }
        }
    }

    private void startThreads() {
        tunReader = named("cryptun-tun").newThread(this::readTun);
        handshakeWorker = named("cryptun-handshake").newThread(this::processHandshakes);
        timerThread = named("cryptun-timers").newThread(this::runTimers);
        device.onTimerDeadlineChanged(() -> LockSupport.unpark(timerThread));
        tunReader.start();
        handshakeWorker.start();
        timerThread.start();
    }

    /** Datagrams from one thread, handed to the UDP event loop once per burst (one sendmmsg). */
    private final class BatchingSink implements PacketSink {
        private UdpTransport.Batch batch;
        private UdpTransport batchOf;

        @Override
        public boolean sendDatagram(InetSocketAddress to, byte[] buf, int off, int len) {
            UdpTransport current = udp;
            if (batchOf != current) {
                flush();
                batch = current.newBatch();
                batchOf = current;
            }
            return batch.add(to, buf, off, len);
        }

        @Override
        public void writeTun(byte[] buf, int off, int len) {
            try {
                tun.write(buf, off, len);
            } catch (IOException e) {
                if (running) {
                    log.verbose("TUN write failed: " + e.getMessage());
                }
            }
        }

        void flush() {
            if (batch != null) {
                batch.flush();
            }
        }
    }

    /** Bursts of packets per wake-up: the TUN device hands over what is ready, the socket sends it at once. */
    private static final int TUN_BURST = 16;

    private void readTun() {
        Worker w = new Worker(TransportCipher.create(cipherBackend));
        BatchingSink sink = new BatchingSink();
        ByteBuffer[] bufs = new ByteBuffer[TUN_BURST];
        int[] lengths = new int[TUN_BURST];
        for (int i = 0; i < TUN_BURST; i++) {
            bufs[i] = ByteBuffer.allocateDirect(Worker.MAX_PACKET);
        }
        byte[] work = new byte[Protocol.HEADROOM + Worker.MAX_PACKET + Protocol.TAILROOM];
        while (running) {
            int n;
            try {
                n = tun.readBatch(bufs, lengths);
            } catch (IOException e) {
                if (running) {
                    if (java.nio.file.Files.exists(java.nio.file.Path.of("/sys/class/net", tun.name()))) {
                        log.error("TUN read failed, stopping: " + e.getMessage());
                    } else {
                        log.info("TUN device " + tun.name() + " was removed, stopping");
                    }
                    stopAsync();
                }
                return;
            }
            if (n < 0) {
                if (running) {
                    log.info("TUN device " + tun.name() + " is gone, stopping");
                    stopAsync();
                }
                return;
            }
            for (int i = 0; i < n; i++) {
                ByteBuffer b = bufs[i];
                b.flip();
                b.get(work, Protocol.HEADROOM, lengths[i]);
                b.clear();
                try {
                    device.sendPacket(w, work, Protocol.HEADROOM, lengths[i], sink);
                } catch (RuntimeException e) {
                    log.error("dropped an outbound packet: " + e);
                }
            }
            sink.flush();
        }
    }

    private void processHandshakes() {
        Worker w = new Worker(TransportCipher.create(cipherBackend));
        PacketSink sink = new Sink();
        HandshakeQueue queue = device.handshakeQueue();
        while (running) {
            try {
                HandshakeQueue.Item item = queue.poll(500);
                if (item != null) {
                    device.processHandshake(w, item, sink);
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.error("handshake processing failed: " + e);
            }
        }
    }

    private void runTimers() {
        Worker w = new Worker(TransportCipher.create(cipherBackend));
        PacketSink sink = new Sink();
        long nextMtuCheck = 0;
        while (running) {
            try {
                device.tick(w, sink);
            } catch (RuntimeException e) {
                log.error("timer processing failed: " + e);
            }
            long now = System.nanoTime();
            if (now - nextMtuCheck >= 0) {
                // wg-quick and users change the MTU after start; padding must follow it
                refreshMtu();
                nextMtuCheck = now + 1_000_000_000L;
            }
            long wait = Math.min(device.nextTimerDeadline() - System.nanoTime(), nextMtuCheck - now);
            if (wait > 0) {
                LockSupport.parkNanos(Math.min(wait, 1_000_000_000L));
            }
        }
    }

    private void refreshMtu() {
        try {
            int mtu = tun.mtu();
            if (mtu > 0 && mtu != device.mtu()) {
                device.setMtu(mtu);
            }
        } catch (IOException e) {
            // the device may be going away; the reader notices that
        }
    }

    /** Blocks until the daemon stops (close, or the TUN device disappears). */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    private void stopAsync() {
        Thread t = new Thread(this::close, "cryptun-stop");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() {
        synchronized (this) {
            if (!running) {
                return;
            }
            running = false;
        }
        LockSupport.unpark(timerThread);
        tun.close();
        udp.close();
        join(tunReader);
        join(handshakeWorker);
        join(timerThread);
        device.removeAllPeers();
        device.setPrivateKey(null);
        stopped.countDown();
    }

    private static void join(Thread t) {
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(3000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    static ThreadFactory named(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, n.getAndIncrement() == 0 ? name : name + "-" + n.get());
            t.setDaemon(true);
            return t;
        };
    }
}
