package io.cryptun.tun.offload;

import io.cryptun.tun.TunClosedException;
import io.cryptun.tun.TunDevice;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Copies packets from one TUN device to another, like the daemon minus the crypto: with offloads each read is split
 * into MTU-sized packets (the "wire"), a burst of them is coalesced again and written; without, every packet is one
 * read and one write. Runs until {@code from} is closed (or {@code to} rejects writes because it was closed).
 */
final class TunRelay implements Runnable {

    /** Headroom left before each packet, as the daemon leaves room for the WireGuard header. */
    static final int HEADROOM = 16;
    private static final int POOL = 256;
    private static final int PACKET_ROOM = 2048;
    private static final int BATCH = 32;

    private final TunDevice from;
    private final TunDevice to;
    private final boolean offload;

    private final GsoSplitter splitter = new GsoSplitter();
    private final GroCoalescer coalescer;
    private final byte[][] pool = new byte[POOL][HEADROOM + PACKET_ROOM];
    private final int[] lengths = new int[POOL];
    private final byte[] in = new byte[VirtioNetHeader.SIZE + 65535 + 64];
    private final ByteBuffer inBuf = ByteBuffer.wrap(in);

    final AtomicLong reads = new AtomicLong();
    final AtomicLong gsoReads = new AtomicLong();
    final AtomicLong packets = new AtomicLong();
    final AtomicLong writes = new AtomicLong();
    final AtomicLong drops = new AtomicLong();
    final AtomicLong splitErrors = new AtomicLong();
    volatile String lastSplitError;
    volatile Throwable failure;

    TunRelay(TunDevice from, TunDevice to, boolean offload, boolean udpGro) {
        this.from = from;
        this.to = to;
        this.offload = offload;
        this.coalescer = new GroCoalescer(POOL, udpGro);
    }

    @Override
    public void run() {
        try {
            if (offload) {
                relayWithOffloads();
            } else {
                relayPlain();
            }
        } catch (TunClosedException e) {
            // the other device was closed first: the test is over
        } catch (Throwable t) {
            failure = t;
        }
    }

    private void relayWithOffloads() throws Exception {
        GroCoalescer.TunWriter writer = (buf, off, len) -> {
            writes.incrementAndGet();
            if (to.write(buf, off, len) == 0) {
                drops.incrementAndGet();
            }
        };
        for (;;) {
            inBuf.clear();
            int n = from.read(inBuf);
            if (n < 0) {
                return;
            }
            int used = splitRead(n, 0);
            // Take what else is ready while a maximal super-packet still fits into the pool.
            while (used <= POOL - 128) {
                inBuf.clear();
                n = from.tryRead(inBuf);
                if (n <= 0) {
                    break;
                }
                used = splitRead(n, used);
            }
            for (int i = 0; i < used; i++) {
                coalescer.add(pool[i], HEADROOM, lengths[i]);
            }
            coalescer.flush(writer);
            if (n < 0) {
                return;
            }
        }
    }

    private int splitRead(int n, int used) {
        reads.incrementAndGet();
        if (VirtioNetHeader.gsoType(in, 0) != VirtioNetHeader.GSO_NONE) {
            gsoReads.incrementAndGet();
        }
        try {
            int k = splitter.split(in, 0, n, pool, HEADROOM, lengths, used);
            packets.addAndGet(k);
            return used + k;
        } catch (GsoSplitException e) {
            splitErrors.incrementAndGet();
            lastSplitError = e.reason() + ": " + e.getMessage();
            return used;
        }
    }

    private void relayPlain() throws Exception {
        ByteBuffer[] bufs = new ByteBuffer[BATCH];
        int[] lens = new int[BATCH];
        for (int i = 0; i < BATCH; i++) {
            bufs[i] = ByteBuffer.allocateDirect(PACKET_ROOM);
        }
        for (;;) {
            int n = from.readBatch(bufs, lens);
            if (n < 0) {
                return;
            }
            reads.addAndGet(n);
            packets.addAndGet(n);
            for (int i = 0; i < n; i++) {
                bufs[i].flip();
                writes.incrementAndGet();
                if (to.write(bufs[i]) == 0) {
                    drops.incrementAndGet();
                }
                bufs[i].clear();
            }
        }
    }

    long superPackets() {
        return coalescer.superPackets();
    }

    @Override
    public String toString() {
        return "reads=" + reads + " gsoReads=" + gsoReads + " packets=" + packets + " writes=" + writes + " drops="
                + drops + " splitErrors=" + splitErrors + (lastSplitError == null ? "" : " (" + lastSplitError + ")")
                + " merged=" + coalescer.mergedPackets() + " superPackets=" + coalescer.superPackets()
                + " checksumFailures=" + coalescer.checksumFailures();
    }
}
