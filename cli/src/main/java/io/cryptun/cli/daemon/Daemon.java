package io.cryptun.cli.daemon;

import io.cryptun.cli.process.Log;
import io.cryptun.cli.uapi.UapiTarget;
import io.cryptun.noise.crypto.TransportCipher;
import io.cryptun.noise.device.Device;
import io.cryptun.noise.device.HandshakeQueue;
import io.cryptun.noise.device.PacketSink;
import io.cryptun.noise.device.Worker;
import io.cryptun.tun.TunDevice;
import java.io.IOException;
import java.net.BindException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The IO shell around the sans-IO {@link Device}: a TUN device, a UDP socket and four threads
 * (TUN reader, UDP event loop, handshake worker, timers), each with its own {@link Worker}, and a
 * fifth, where netlink can be opened, that follows the link's MTU and up/down state.
 * It holds no protocol logic of its own. A packet's two paths have files of their own: the send
 * path on the TUN reader ({@link TunReader}), the receive path on the event loop ({@link ReceivePath}).
 */
public final class Daemon implements AutoCloseable, UapiTarget {
    /** Test-only: the initiator's rekey interval in seconds (5..120), for soak tests. */
    public static final String TEST_REKEY_ENV = "CRYPTUN_TEST_REKEY_AFTER_SECONDS";
    /** Handshakes the start-up warm-up runs through in memory ({@code -Dcryptun.warmup=N} sets it; 0: none). */
    public static final int DEFAULT_WARM_UP_HANDSHAKES = StartupWarmUp.DEFAULT_HANDSHAKES;
    /** Only where netlink is not available. */
    private static final long LINK_POLL_NANOS = 1_000_000_000L;
    /** A bound on sleeping in case an unpark is missed; deadlines normally wake the thread themselves. */
    private static final long MAX_TIMER_SLEEP_NANOS = 30_000_000_000L;

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
    private Thread linkWatcher;
    /** Link changes (MTU, up/down) as netlink tells them; null where it cannot, then the timer thread polls. */
    private io.cryptun.tun.LinkWatch linkWatch;
    private volatile int fwmark;
    private final StartupWarmUp warmUp;

    private Daemon(Device device, TunDevice tun, Log log, String cipherBackend, StartupWarmUp warmUp) {
        this.warmUp = warmUp;
        this.device = device;
        this.tun = tun;
        this.log = log;
        this.cipherBackend = cipherBackend;
    }

    /** Starts the threads on an open TUN device, listening on {@code listenPort} (0: any free port). */
    public static Daemon start(TunDevice tun, int listenPort, Log log, String cipherBackend) throws BindException {
        return start(tun, listenPort, log, cipherBackend, DEFAULT_WARM_UP_HANDSHAKES);
    }

    /** As {@link #start(TunDevice, int, Log, String)}, with a start-up warm-up of that many handshakes (0: none). */
    public static Daemon start(TunDevice tun, int listenPort, Log log, String cipherBackend, int warmUpHandshakes)
            throws BindException {
        // started before the sockets and threads below, so it overlaps their set-up
        return start(tun, listenPort, log, cipherBackend, StartupWarmUp.forInterface(warmUpHandshakes, cipherBackend));
    }

    /**
     * A daemon of the start-up warm-up itself ({@link PairWarmUp}): the same threads and packet path,
     * no warm-up of its own and no claim on the one an interface about to start will wait for.
     */
    static Daemon startForWarmUp(TunDevice tun, Log log, String cipherBackend) throws BindException {
        return start(tun, 0, log, cipherBackend, StartupWarmUp.begin(0, cipherBackend));
    }

    private static Daemon start(TunDevice tun, int listenPort, Log log, String cipherBackend, StartupWarmUp warmUp)
            throws BindException {
        Device.Builder builder = Device.builder().eventLog(log).inlineHandshakes(true);
        String testRekey = System.getenv(TEST_REKEY_ENV);
        if (testRekey != null) {
            // soak tests only: hours of rekeying in minutes
            builder.rekeyAfterTimeForTesting(Long.parseLong(testRekey) * 1_000_000_000L);
            log.info("TEST ONLY: rekeying every " + testRekey + " s (" + TEST_REKEY_ENV + ")");
        }
        Device device = builder.build();
        try {
            device.setMtu(tun.mtu());
        } catch (IOException e) {
            device.setMtu(Device.DEFAULT_MTU);
        }
        try {
            device.setUp(tun.isUp());
        } catch (IOException e) {
            device.setUp(false);
        }
        Daemon d = new Daemon(device, tun, log, cipherBackend, warmUp);
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
        return ReceivePath.newReceiver(device, tun, cipherBackend, this::udp, log, this::isRunning);
    }

    /** The socket in use now: a listen-port change swaps it. */
    private UdpTransport udp() {
        return udp;
    }

    private boolean isRunning() {
        return running;
    }

    /**
     * Waits (at most {@link StartupWarmUp#MAX_WAIT_MILLIS}) for the start-up warm-up, so what comes
     * next, the interface announcing itself, means its first packets run compiled code.
     */
    public void awaitWarmUp() {
        try {
            if (!warmUp.awaitDone(StartupWarmUp.MAX_WAIT_MILLIS)) {
                log.verbose("warm-up still running after " + StartupWarmUp.MAX_WAIT_MILLIS + " ms: going on without it");
            } else if (warmUp.failure() != null) {
                log.verbose("warm-up failed (only the first handshakes are slower): " + warmUp.failure());
            } else if (warmUp.tookMillis() >= 0) {
                log.verbose("warm-up took " + warmUp.tookMillis() + " ms (" + warmUp.partsTook() + ")");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void startThreads() {
        tunReader = named("cryptun-tun").newThread(
                new TunReader(device, tun, cipherBackend, this::udp, log, this::isRunning, this::stopAsync));
        handshakeWorker = named("cryptun-handshake").newThread(this::processHandshakes);
        timerThread = named("cryptun-timers").newThread(this::runTimers);
        device.wakeTimerThread(timerThread);
        try {
            linkWatch = io.cryptun.tun.LinkWatch.open();
            linkWatcher = named("cryptun-link").newThread(this::watchLink);
        } catch (IOException e) {
            log.verbose("no netlink link notifications (" + e.getMessage() + "): polling the link state");
        }
        tunReader.start();
        handshakeWorker.start();
        timerThread.start();
        if (linkWatcher != null) {
            linkWatcher.start();
        }
    }

    private void processHandshakes() {
        Worker w = new Worker(TransportCipher.create(cipherBackend));
        PacketSink sink = new DaemonSink(this::udp, tun, log, this::isRunning);
        HandshakeQueue queue = device.handshakeQueue();
        while (running) {
            try {
                // close() interrupts the wait: an idle daemon does not wake for nothing
                HandshakeQueue.Item item = queue.poll(60_000);
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

    /**
     * Sleeps until the next timer deadline (the device unparks it when deadlines move): an idle
     * daemon without sessions does not wake up. Polls the link state only where netlink cannot
     * tell of changes.
     */
    private void runTimers() {
        Worker w = new Worker(TransportCipher.create(cipherBackend));
        PacketSink sink = new DaemonSink(this::udp, tun, log, this::isRunning);
        long nextLinkPoll = 0;
        while (running) {
            try {
                device.tick(w, sink);
            } catch (RuntimeException e) {
                log.error("timer processing failed: " + e);
            }
            long now = System.nanoTime();
            long wait = Math.min(device.nextTimerDeadline() - now, MAX_TIMER_SLEEP_NANOS);
            if (linkWatch == null) {
                if (now - nextLinkPoll >= 0) {
                    refreshLink();
                    nextLinkPoll = now + LINK_POLL_NANOS;
                }
                wait = Math.min(wait, nextLinkPoll - now);
            }
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
        }
    }

    /**
     * wg-quick and users change the MTU and the link state after start: padding follows the MTU,
     * and a link that is down sends nothing (as wireguard-go and the kernel behave). Netlink says
     * when some link changed; this thread then reads the device's state.
     */
    private void watchLink() {
        io.cryptun.tun.LinkWatch watch = linkWatch;
        try {
            refreshLink();
            while (running && watch.await()) {
                refreshLink();
            }
        } catch (IOException e) {
            if (running) {
                log.error("link notifications failed (" + e.getMessage() + "): polling the link state");
                linkWatch = null;
                LockSupport.unpark(timerThread);
            }
        } finally {
            watch.release();
        }
    }


    /** Re-reads the link state now (after setting it up ourselves, say). */
    public void linkChanged() {
        refreshLink();
    }

    private void refreshLink() {
        try {
            int mtu = tun.mtu();
            if (mtu > 0 && mtu != device.mtu()) {
                device.setMtu(mtu);
            }
            boolean up = tun.isUp();
            if (up != device.isUp()) {
                device.setUp(up);
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
        io.cryptun.tun.LinkWatch watch = linkWatch;
        if (watch != null) {
            watch.close();
        }
        // the handshake worker waits long for work: wake it
        if (handshakeWorker != null) {
            handshakeWorker.interrupt();
        }
        tun.close();
        udp.close();
        join(tunReader);
        join(handshakeWorker);
        join(timerThread);
        join(linkWatcher);
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
