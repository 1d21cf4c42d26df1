package io.cryptun.tun;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/** A reader thread that answers every ICMP/ICMPv6 echo request it reads from a TUN device, until the device closes. */
final class EchoResponder {

    private final TunDevice tun;
    private final boolean byteArrays;
    private final Thread thread;
    private final AtomicInteger replies = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile int lastRead;

    /** @param byteArrays use the byte[] read/write variants instead of a direct ByteBuffer */
    EchoResponder(TunDevice tun, boolean byteArrays) {
        this.tun = tun;
        this.byteArrays = byteArrays;
        this.thread = new Thread(this::run, "echo-" + tun.name());
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            if (byteArrays) {
                byte[] packet = new byte[TunDevice.MAX_PACKET_SIZE];
                int n;
                while ((n = tun.read(packet, 0, packet.length)) >= 0) {
                    if (IcmpPackets.toEchoReply(ByteBuffer.wrap(packet), n)) {
                        tun.write(packet, 0, n);
                        replies.incrementAndGet();
                    }
                }
                lastRead = n;
            } else {
                ByteBuffer buf = ByteBuffer.allocateDirect(TunDevice.MAX_PACKET_SIZE);
                int n;
                while ((n = tun.read(buf.clear())) >= 0) {
                    if (IcmpPackets.toEchoReply(buf, n)) {
                        buf.flip();
                        tun.write(buf);
                        replies.incrementAndGet();
                    }
                }
                lastRead = n;
            }
        } catch (Throwable t) {
            failure.set(t);
        }
    }

    /** Waits for the thread, which ends when the device is closed; returns false if it did not end in time. */
    boolean awaitEnd(long millis) throws InterruptedException {
        thread.join(millis);
        return !thread.isAlive();
    }

    int replies() {
        return replies.get();
    }

    Throwable failure() {
        return failure.get();
    }

    int lastRead() {
        return lastRead;
    }
}
