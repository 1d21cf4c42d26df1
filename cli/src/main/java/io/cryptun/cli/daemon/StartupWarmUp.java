package io.cryptun.cli.daemon;

import java.util.concurrent.TimeUnit;

/**
 * The start-up warm-up of an interface daemon: in-memory handshakes and packets
 * ({@link DeviceWarmUp}) and loopback datagrams until the JIT has compiled the handshake and packet path. It starts as the
 * process starts, beside argument parsing and device creation on another core, and the interface
 * announces itself (its UAPI socket, which wg-quick and scripts wait for) only when it is done, so the
 * first real handshake and packet run compiled code: a user's first ping is as fast as the hundredth.
 * Without it the first handshake runs in the interpreter (hundreds of ms on a small machine) and the
 * first seconds of TCP share the cores with the compiler.
 */
public final class StartupWarmUp {
    /**
     * Handshakes ({@code -Dcryptun.warmup=N}; 0: none). Each runs the handshake's per-message methods
     * (consuming an initiation, creating and consuming a response) once; where the launcher picks the
     * quick JIT it lets cryptun's methods compile after 128 calls (without the compiler queue's feedback
     * on that threshold), so 150 compile them all with room to spare. With the JVM's defaults even 200
     * left them interpreted for the first real handshake (see ./cryptun).
     */
    public static final int DEFAULT_HANDSHAKES = Integer.getInteger("cryptun.warmup", 150);
    /** The longest an interface waits for its warm-up before it announces itself anyway. */
    public static final long MAX_WAIT_MILLIS = Long.getLong("cryptun.warmup.maxWaitMillis", 3000);

    /**
     * After the warm-up, how long at most to wait for the JIT to finish what it queued
     * ({@code -Dcryptun.warmup.compilerQuietMillis=N}; 0: not at all). Its last compilations ran into
     * the first ping of a daemon configured at once (141-153 in the second before it); waiting for
     * the compiler threads to go quiet (50-90 ms on two cores) took the rig's first ping from 9.0 to
     * 7.5 ms and TCP's first 2 s from 0.41 to 0.45 of steady (medians of 12 alternating cold starts),
     * with no later socket (benchmarks/README.md, cold start).
     */
    static final long COMPILER_QUIET_MAX_MILLIS = Long.getLong("cryptun.warmup.compilerQuietMillis", 300);

    /** Handshakes run again after the start-up's collection (see the warm-up thread). */
    static final int AFTER_COLLECTION_HANDSHAKES = 4;

    private static volatile StartupWarmUp early;

    private final Thread thread;
    private final String backend;
    private volatile Throwable failure;
    private volatile long tookNanos = -1;
    /** How long its parts took, in ms: in memory, offloads, over loopback. */
    private final long[] partMillis = new long[3];
    /** What the part over loopback carried. */
    private final String[] loopbackOutcome = new String[1];
    private volatile long quietWaitMillis = -1;

    private StartupWarmUp(int handshakes, String backend) {
        this.backend = backend;
        this.thread = new Thread(() -> {
            long t0 = System.nanoTime();
            try {
                runAll(handshakes, DEFAULT_PAIR_PACKETS, backend, partMillis, loopbackOutcome);
            } catch (RuntimeException | LinkageError e) {
                failure = e;
            }
            if (COMPILER_QUIET_MAX_MILLIS > 0) {
                quietWaitMillis = CompilerQuiet.await(COMPILER_QUIET_MAX_MILLIS, 30);
            }
            // its garbage grew the heap: collected now, at start, the heap shrinks back (idle RSS
            // ~4 MB less) instead of staying at its start-up size for months. Last, so that the
            // young generation is empty when the first real packets come: collected later, the
            // first young collection (3-5 ms, its survivor space touched for the first time) fell
            // on the first ping. And then the handshake path once more: a full collection arms
            // every compiled method's entry barrier, which the first call after it runs (fixing
            // that method's object references), and this pays it here, with the young
            // generation's pages, instead of the first handshake.
            if (Boolean.parseBoolean(System.getProperty("cryptun.warmup.gc", "true"))) {
                System.gc();
                if (handshakes > 0) {
                    try {
                        DeviceWarmUp.run(AFTER_COLLECTION_HANDSHAKES, 16, backend);
                    } catch (RuntimeException | LinkageError e) {
                        failure = e;
                    }
                    afterCollectionOverLoopback(backend);
                }
            }
            tookNanos = System.nanoTime() - t0;
        }, "cryptun-warmup");
        thread.setDaemon(true);
    }

    /**
     * Packets through a throwaway daemon pair after the collection ({@code
     * -Dcryptun.warmup.afterCollectionPackets=N}; 0: none), their UDP sockets making a few round trips
     * of the event loop too: the collection arms the entry barrier of every compiled method, and the
     * IO shells' methods (the event loop's read path, the TUN reads and writes) otherwise paid it at a
     * cold daemon's first handshake messages (traced: 10 of a first read's samples in
     * {@code nmethod_stub_entry_barrier}).
     */
    static final int AFTER_COLLECTION_PACKETS = Integer.getInteger("cryptun.warmup.afterCollectionPackets", 32);
    static final int AFTER_COLLECTION_ROUND_TRIPS = 8;
    /** Whether the warm-ups go over loopback at all ({@code -Dcryptun.warmup.udp=false}: never). */
    private static final boolean UDP_WARM_UP = Boolean.parseBoolean(System.getProperty("cryptun.warmup.udp", "true"));

    private static void afterCollectionOverLoopback(String backend) {
        if (AFTER_COLLECTION_PACKETS <= 0 || DEFAULT_PAIR_PACKETS <= 0 || !UDP_WARM_UP || !loopbackUp()) {
            return;
        }
        UdpLoopbackWarmUp.roundTripsLeftInProcess(AFTER_COLLECTION_ROUND_TRIPS);
        try {
            PairWarmUp.run(AFTER_COLLECTION_PACKETS, backend);
        } catch (java.io.IOException | RuntimeException e) {
            // as in the warm-up before: where the pair cannot run, the first packets pay
        } finally {
            // none left for the daemon's next socket (the one `wg set listen-port` opens just
            // before the first handshake), whatever the pair made
            UdpLoopbackWarmUp.roundTripsLeftInProcess(0);
        }
    }

    /**
     * Packets through two throwaway daemons over loopback ({@link PairWarmUp}; {@code
     * -Dcryptun.warmup.packets=N}; 0: none). The in-memory warm-up never runs the daemon's own IO
     * shells (the TUN reader's batches, the receive path, the coalescer, the TUN write), and the first
     * ping ran them for the first time in the process: interpreted, each call site and class
     * resolved on the way (a profile of the first ping: 15% of the daemons' samples in the
     * resolver). 600 packets, with a cache trained on the same ({@code cryptun train}): first ping
     * 4.24 -> 3.55 ms, TCP's first 2 s 0.84 -> 0.91 of steady, start-up and idle memory the same within
     * their noise (benchmarks/README.md, cold start, ninth session); 1,500 no better, 200 half as good.
     */
    public static final int DEFAULT_PAIR_PACKETS = Integer.getInteger("cryptun.warmup.packets", 600);

    /**
     * What a warm-up runs, in this thread: {@code handshakes} in-memory handshakes with packets
     * both ways, as many TCP super-packets split and merged again ({@link OffloadWarmUp}), then
     * {@link #DEFAULT_PAIR_PACKETS} packets end to end through two throwaway daemons on stand-in TUN
     * devices ({@link PairWarmUp}), or, where that is 0 or cannot run, datagrams between two UDP
     * sockets of the native transport on loopback (its send batching and receive path, and the
     * buffer allocator's first use, which would otherwise fall on the first real packet). Returns
     * the packets (or datagrams) that arrived over loopback (0 where loopback is down, as in a fresh
     * namespace: then nothing is sent over it, see {@link #loopbackUp()}).
     */
    public static int runAll(int handshakes, String backend) {
        return runAll(handshakes, DEFAULT_PAIR_PACKETS, backend, new long[3], new String[1]);
    }

    /** {@link #runAll(int, String)} with {@code pairPackets} through the daemon pair (0: none). */
    public static int runAll(int handshakes, int pairPackets, String backend) {
        return runAll(handshakes, pairPackets, backend, new long[3], new String[1]);
    }

    /** As above, with how long each part took in {@code millis}: in memory, offloads, over loopback. */
    static int runAll(int handshakes, int pairPackets, String backend, long[] millis, String[] outcome) {
        long t0 = System.nanoTime();
        DeviceWarmUp.run(handshakes, 16, backend);
        long t1 = System.nanoTime();
        millis[0] = (t1 - t0) / 1_000_000L;
        try {
            OffloadWarmUp.run(handshakes);
        } catch (java.io.IOException | io.cryptun.tun.offload.GsoSplitException e) {
            throw new IllegalStateException("offload warm-up: " + e.getMessage(), e);
        }
        long t2 = System.nanoTime();
        millis[1] = (t2 - t1) / 1_000_000L;
        try {
            return UDP_WARM_UP
                    ? overLoopback(handshakes, pairPackets, backend, loopbackUp(), outcome) : 0;
        } finally {
            millis[2] = (System.nanoTime() - t2) / 1_000_000L;
        }
    }

    /**
     * The part over loopback, where loopback is up or not; what it carried goes into {@code
     * outcome[0]}, for the log.
     */
    static int overLoopback(int handshakes, int pairPackets, String backend, boolean loopback, String[] outcome) {
        if (!loopback) {
            outcome[0] = "skipped: loopback is down";
            return 0;
        }
        if (pairPackets > 0) {
            try {
                PairWarmUp.Result r = PairWarmUp.run(pairPackets, backend);
                if (r.packetsDelivered() > 0) {
                    outcome[0] = r.packetsDelivered() + " packets through a daemon pair";
                    return (int) Math.min(Integer.MAX_VALUE, r.packetsDelivered());
                }
            } catch (java.io.IOException | RuntimeException e) {
                // no socket pair or no UDP socket here: the plain loopback datagrams below, if they can
            }
        }
        int datagrams = loopbackDatagrams(handshakes * 8);
        outcome[0] = datagrams + " datagrams";
        return datagrams;
    }

    /**
     * Whether loopback carries datagrams here. In a fresh network namespace it is down: the pair's
     * first exchange, and the datagrams' wait for their return, then waited a second each for
     * nothing, which the interface's start paid (2.1 instead of 1.2 s to its UAPI socket, measured):
     * then nothing is sent over it. Unknown counts as up: the waits are bounded.
     */
    static boolean loopbackUp() {
        try {
            java.net.NetworkInterface lo = java.net.NetworkInterface.getByInetAddress(java.net.InetAddress.getLoopbackAddress());
            return lo != null && lo.isUp();
        } catch (java.io.IOException | RuntimeException e) {
            return true;
        }
    }

    private static int loopbackDatagrams(int count) {
        java.util.concurrent.atomic.AtomicInteger received = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.CountDownLatch all = new java.util.concurrent.CountDownLatch(1);
        UdpTransport.Receiver counter = (buf, off, len, from) -> {
            if (received.incrementAndGet() == count) {
                all.countDown();
            }
        };
        UdpTransport.Receiver ignore = (buf, off, len, from) -> { };
        try (UdpTransport to = UdpTransport.open(0, counter, r -> new Thread(r, "cryptun-warmup-udp"));
                UdpTransport from = UdpTransport.open(0, ignore, r -> new Thread(r, "cryptun-warmup-udp"))) {
            java.net.InetSocketAddress target =
                    new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), to.port());
            byte[] payload = new byte[1452];
            UdpSendBatch batch = from.newBatch();
            // the three ways a daemon sends: one datagram from the handshake path, a datagram alone
            // in its TUN burst, a burst of equal datagrams (one segmented send)
            for (int i = 0; i < count; ) {
                switch (i % 3) {
                    case 0 -> {
                        from.send(target, payload, 0, 148);
                        i++;
                    }
                    case 1 -> {
                        batch.add(target, payload, 0, 128);
                        batch.flush();
                        i++;
                    }
                    default -> {
                        int n = Math.min(8, count - i);
                        for (int k = 0; k < n; k++) {
                            batch.add(target, payload, 0, payload.length);
                        }
                        batch.flush();
                        i += n;
                    }
                }
            }
            all.await(1, TimeUnit.SECONDS);
        } catch (java.net.BindException | IllegalStateException e) {
            // no native transport or no port here: nothing to warm on this path
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return received.get();
    }

    /** Starts a warm-up of {@code handshakes} (none when 0) with the given cipher backend. */
    public static StartupWarmUp begin(int handshakes, String backend) {
        StartupWarmUp w = new StartupWarmUp(handshakes, backend);
        if (handshakes > 0) {
            w.thread.start();
        }
        return w;
    }

    /**
     * Called first thing by a command that will run an interface in this process, before its
     * arguments are parsed: the warm-up then overlaps everything else the start does.
     */
    public static void beginEarly(String backend) {
        if (early == null && DEFAULT_HANDSHAKES > 0) {
            early = begin(DEFAULT_HANDSHAKES, backend);
        }
    }

    /**
     * The warm-up for an interface about to start: the early one when it warms the same backend,
     * else a new one of {@code handshakes}.
     */
    public static StartupWarmUp forInterface(int handshakes, String backend) {
        StartupWarmUp e = early;
        early = null;
        if (handshakes > 0 && e != null && e.backend.equalsIgnoreCase(backend == null ? "auto" : backend)) {
            return e;
        }
        return begin(handshakes, backend);
    }

    /** Waits until the warm-up is done, at most {@code maxMillis}; true when it is. */
    public boolean awaitDone(long maxMillis) throws InterruptedException {
        if (!thread.isAlive()) {
            return true;
        }
        thread.join(Math.max(1, maxMillis));
        return !thread.isAlive();
    }

    /** What its parts took, for the log. */
    public String partsTook() {
        return "in memory " + partMillis[0] + " ms, offloads " + partMillis[1] + " ms, over loopback " + partMillis[2] + " ms ("
                + (loopbackOutcome[0] == null ? "not run" : loopbackOutcome[0]) + ")"
                + (quietWaitMillis >= 0 ? ", compiler quiet after " + quietWaitMillis + " ms more" : "");
    }

    /** Why it stopped early, or null. */
    public Throwable failure() {
        return failure;
    }

    /** How long it ran, in ms, or -1 when it has not finished (or never ran). */
    public long tookMillis() {
        long t = tookNanos;
        return t < 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(t);
    }
}
