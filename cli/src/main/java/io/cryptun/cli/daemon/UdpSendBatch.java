package io.cryptun.cli.daemon;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.epoll.SegmentedDatagramPacket;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Collects datagrams from one thread and hands them to the event loop in one task. Consecutive
 * datagrams of one size to one endpoint (the segments of a TCP burst, sealed) travel as one UDP
 * GSO send: the kernel cuts them apart as late as it can, which on a veth or a NIC with
 * segmentation offload saves most of the per-packet cost. Made by {@link UdpTransport#newBatch()}.
 */
public final class UdpSendBatch {
    static final int GSO_MAX_SEGMENTS = 64;
    static final int GSO_MAX_BYTES = 65000;

    private final UdpTransport transport;
    private final Channel channel;
    private List<DatagramPacket> pending = new ArrayList<>();
    /** The run memory of each pending datagram ({@link UdpRunMemory}), null where the allocator's. */
    private List<ByteBuffer> pendingMemory = new ArrayList<>();
    /**
     * A datagram that is alone so far waits here, in memory the batch owns, until a second one
     * joins it or the burst ends: interactive traffic (a ping, a handshake message) then goes out
     * with one sendto and no buffer from the allocator at all.
     */
    private final ByteBuffer lone = ByteBuffer.allocateDirect(UdpTransport.MAX_DATAGRAM);
    private InetSocketAddress loneTo;
    private ByteBuf run;
    /** The current run's memory from {@link UdpRunMemory}, null where the allocator's. */
    private ByteBuffer runMemory;
    private InetSocketAddress runTo;
    private int runSegment;
    private int runCount;
    private boolean runClosed;

    UdpSendBatch(UdpTransport transport, Channel channel) {
        this.transport = transport;
        this.channel = channel;
    }

    /** Queues a datagram; false when the socket is backed up (the packet is dropped). */
    public boolean add(InetSocketAddress to, byte[] buf, int off, int len) {
        if (!channel.isWritable()) {
            return false;
        }
        if (loneTo == null && run == null && pending.isEmpty()) {
            lone.clear();
            lone.put(buf, off, len).flip();
            loneTo = to;
            return true;
        }
        if (loneTo != null) {
            startRun(loneTo, lone);
            loneTo = null;
        }
        if (run != null && transport.gso() && !runClosed && len <= runSegment && runCount < GSO_MAX_SEGMENTS
                && run.readableBytes() + len <= GSO_MAX_BYTES && to.equals(runTo)) {
            run.writeBytes(buf, off, len);
            runCount++;
            // a shorter datagram can only end a run
            runClosed = len < runSegment;
            return true;
        }
        startRun(to, ByteBuffer.wrap(buf, off, len));
        return true;
    }

    /** Closes the current run and starts the next with {@code first}'s bytes. */
    private void startRun(InetSocketAddress to, ByteBuffer first) {
        closeRun();
        int len = first.remaining();
        boolean gso = transport.gso();
        runMemory = gso && len <= GSO_MAX_BYTES ? transport.runMemory().take() : null;
        run = runMemory != null ? Unpooled.wrappedBuffer(runMemory).clear()
                : channel.alloc().directBuffer(gso ? Math.min(GSO_MAX_BYTES, len * 8) : len, gso ? Math.max(len, GSO_MAX_BYTES) : len);
        run.writeBytes(first);
        runTo = to;
        runSegment = len;
        runCount = 1;
        runClosed = false;
    }

    private void closeRun() {
        if (run == null) {
            return;
        }
        pending.add(runCount > 1 ? new SegmentedDatagramPacket(run, runSegment, runTo) : new DatagramPacket(run, runTo));
        pendingMemory.add(runMemory);
        run = null;
        runMemory = null;
    }

    public void flush() {
        if (loneTo != null) {
            InetSocketAddress to = loneTo;
            loneTo = null;
            if (transport.sendDirect(lone, to)) {
                return;
            }
            // refused for now (a full socket buffer): queued behind what the event loop sends
            startRun(to, lone);
        }
        closeRun();
        if (pending.isEmpty()) {
            return;
        }
        List<DatagramPacket> batch = pending;
        List<ByteBuffer> memory = pendingMemory;
        pending = new ArrayList<>(Math.max(8, batch.size()));
        pendingMemory = new ArrayList<>(Math.max(8, batch.size()));
        if (channel.eventLoop().inEventLoop()) {
            writeAll(batch, memory);
        } else {
            channel.eventLoop().execute(() -> writeAll(batch, memory));
        }
    }

    private void writeAll(List<DatagramPacket> batch, List<ByteBuffer> memory) {
        for (int i = 0; i < batch.size(); i++) {
            DatagramPacket p = batch.get(i);
            ByteBuffer m = memory.get(i);
            boolean segmented = p instanceof SegmentedDatagramPacket;
            if (segmented || m != null) {
                // done (sent or failed) means released: the memory can take the next run
                channel.write(p).addListener(f -> {
                    if (m != null) {
                        transport.runMemory().giveBack(m);
                    }
                    if (segmented && !f.isSuccess()) {
                        // some paths refuse segmented sends (EIO without checksum offload, EMSGSIZE on
                        // a small MTU); from then on every datagram goes on its own
                        transport.gsoRefused();
                    }
                });
            } else {
                channel.write(p, channel.voidPromise());
            }
        }
        channel.flush();
    }
}
