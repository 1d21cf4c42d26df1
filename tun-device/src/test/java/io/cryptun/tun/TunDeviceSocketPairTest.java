package io.cryptun.tun;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The socket-pair stand-in for a TUN device: whole packets both ways, TUN semantics, no interface. */
class TunDeviceSocketPairTest {

    private static byte[] packet(int length, int seed) {
        byte[] p = new byte[length];
        for (int i = 0; i < length; i++) {
            p[i] = (byte) (i * 7 + seed);
        }
        return p;
    }

    @Test
    void packetsWrittenToOneEndAreReadWholeFromTheOtherInBothDirections() throws Exception {
        TunDevice[] pair = TunDevice.socketPair("test", TunOptions.defaults(), Set.of());
        try {
            int[] sizes = {1, 84, 1420, 9000, 65535};
            for (int i = 0; i < sizes.length; i++) {
                assertEquals(sizes[i], pair[0].write(packet(sizes[i], i), 0, sizes[i]));
            }
            ByteBuffer[] bufs = new ByteBuffer[8];
            for (int i = 0; i < bufs.length; i++) {
                bufs[i] = ByteBuffer.allocateDirect(65535);
            }
            int[] lengths = new int[8];
            assertTrue(pair[1].awaitReadable(1000));
            // one read per packet, no packet merged or split, all ready ones in one batch
            assertEquals(sizes.length, pair[1].readBatch(bufs, lengths));
            for (int i = 0; i < sizes.length; i++) {
                assertEquals(sizes[i], lengths[i]);
                byte[] got = new byte[lengths[i]];
                bufs[i].flip().get(got);
                assertArrayEquals(packet(sizes[i], i), got);
            }
            // and back
            ByteBuffer reply = ByteBuffer.allocateDirect(100).put(packet(100, 9)).flip();
            assertEquals(100, pair[1].write(reply));
            ByteBuffer in = ByteBuffer.allocateDirect(2048);
            assertEquals(100, pair[0].read(in));
            byte[] got = new byte[100];
            in.flip().get(got);
            assertArrayEquals(packet(100, 9), got);
            // nothing more is waiting
            assertEquals(0, pair[0].tryRead(ByteBuffer.allocateDirect(2048)));
        } finally {
            pair[0].close();
            pair[1].close();
        }
    }

    @Test
    void reportsItsOptionsAndOffloadsAndRefusesInterfaceControl() throws Exception {
        EnumSet<TunOffload> offloads = EnumSet.of(TunOffload.CSUM, TunOffload.TSO4);
        TunDevice[] pair = TunDevice.socketPair("test", TunOptions.defaults().withVnetHeader(true), offloads);
        try {
            for (TunDevice d : pair) {
                assertTrue(d.options().vnetHeader());
                assertEquals(offloads, d.offloads());
                // no interface behind it: a clear error, not a crash or a call on another device
                assertThrows(TunException.class, d::mtu);
                assertThrows(TunException.class, d::isUp);
            }
        } finally {
            pair[0].close();
            pair[1].close();
        }
    }

    @Test
    void closingWakesAReaderWaitingForAPacket() throws Exception {
        TunDevice[] pair = TunDevice.socketPair("test", TunOptions.defaults(), Set.of());
        try {
            CompletableFuture<Integer> reader = CompletableFuture.supplyAsync(() -> {
                try {
                    return pair[0].readBatch(new ByteBuffer[] {ByteBuffer.allocateDirect(2048)}, new int[1]);
                } catch (TunException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(100);
            assertFalse(reader.isDone());
            pair[0].close();
            assertEquals(-1, reader.get(5, TimeUnit.SECONDS));
            assertFalse(pair[0].isOpen());
            assertThrows(TunClosedException.class, () -> pair[0].write(new byte[] {0x45}, 0, 1));
        } finally {
            pair[0].close();
            pair[1].close();
        }
    }
}
