package io.cryptun.tun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import org.junit.jupiter.api.Test;

class DirectAddressesTest {

    private static long jna(ByteBuffer b) {
        return Pointer.nativeValue(Native.getDirectBufferPointer(b));
    }

    @Test
    void everyBufferGetsItsOwnAddressAlsoAfterEvictionsAndForSlices() {
        DirectAddresses addresses = new DirectAddresses();
        ByteBuffer[] bufs = new ByteBuffer[300]; // more than the cache holds: slots are shared and replaced
        for (int i = 0; i < bufs.length; i++) {
            bufs[i] = i % 3 == 2 ? bufs[i - 1].position(17).slice() : ByteBuffer.allocateDirect(64);
        }
        for (int round = 0; round < 3; round++) {
            for (ByteBuffer b : bufs) {
                assertEquals(jna(b), addresses.baseOf(b));
            }
        }
        assertEquals(addresses.baseOf(bufs[1]) + 17, addresses.baseOf(bufs[2]), "a slice starts inside its parent");
        assertNotEquals(addresses.baseOf(bufs[0]), addresses.baseOf(bufs[1]));
    }

    @Test
    void heapBuffersAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new DirectAddresses().baseOf(ByteBuffer.allocate(8)));
    }
}
