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
    final AtomicLong largeReads = new AtomicLong();
    private byte[][] spare;
    private int[] spareLengths;
    volatile String lastSplitError;
    volatile Throwable failure;

    TunRelay(TunDevice from, TunDevice to, boolean offload, boolean udpGro) {
        this.from = from;
        this.to = to;
        this.offload = offload;
        this.coalescer = new GroCoalescer(POOL, udpGro);
        this.writer = (buf, off, len) -> {
            writes.incrementAndGet();
            if (to.write(buf, off, len) == 0) {
                drops.incrementAndGet();
            }
        };
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
        for (;;) {
            inBuf.clear();
            int n = from.read(inBuf);
            if (n < 0) {
                return;
            }
            int used = splitRead(n, 0);
            // Take what else is ready, up to half a pool per batch.
            while (used < POOL / 2) {
                inBuf.clear();
                n = from.tryRead(inBuf);
                if (n <= 0) {
                    break;
                }
                used = splitRead(n, used);
            }
            writeBatch(used);
            if (n < 0) {
                return;
            }
        }
    }

    private final GroCoalescer.TunWriter writer;

    private void writeBatch(int used) throws java.io.IOException {
        for (int i = 0; i < used; i++) {
            coalescer.add(pool[i], HEADROOM, lengths[i]);
        }
        coalescer.flush(writer);
    }

    /** Splits the read into the pool after {@code used} packets; returns the new count. */
    private int splitRead(int n, int used) throws java.io.IOException {
        reads.incrementAndGet();
        if (VirtioNetHeader.gsoType(in, 0) != VirtioNetHeader.GSO_NONE) {
            gsoReads.incrementAndGet();
        }
        try {
            int count = splitter.packetCount(in, 0, n);
            if (count > POOL - used) {
                writeBatch(used);
                used = 0;
            }
            if (count > POOL) {
                splitLarge(n, count);
                return 0;
            }
            int k = splitter.split(in, 0, n, pool, HEADROOM, lengths, used);
            packets.addAndGet(k);
            return used + k;
        } catch (GsoSplitException e) {
            splitErrors.incrementAndGet();
            lastSplitError = e.reason() + ": " + e.getMessage();
            return used;
        }
    }

    /** A small-MSS super-packet: more segments than the pool holds go through a spare pool made on demand. */
    private void splitLarge(int n, int count) throws GsoSplitException, java.io.IOException {
        if (spare == null || spare.length < count) {
            spare = new byte[count][HEADROOM + PACKET_ROOM];
            spareLengths = new int[count];
        }
        int k = splitter.split(in, 0, n, spare, HEADROOM, spareLengths, 0);
        packets.addAndGet(k);
        largeReads.incrementAndGet();
        for (int i = 0; i < k; i++) {
            if (!coalescer.add(spare[i], HEADROOM, spareLengths[i])) {
                coalescer.flush(writer);
                coalescer.add(spare[i], HEADROOM, spareLengths[i]);
            }
        }
        coalescer.flush(writer);
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
                + drops + " largeReads=" + largeReads + " splitErrors=" + splitErrors + (lastSplitError == null ? "" : " (" + lastSplitError + ")")
                + " merged=" + coalescer.mergedPackets() + " superPackets=" + coalescer.superPackets()
                + " checksumFailures=" + coalescer.checksumFailures();
    }
}
