package io.cryptun.tun;

import java.nio.ByteBuffer;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * Native base addresses of the direct buffers a device reads into and writes from, looked up once per
 * buffer. Passing a {@code ByteBuffer} to a JNA direct-mapped call costs a type check and a JNI address
 * lookup on every call (about 0.4 us a packet here, a quarter of the whole read system call); the
 * packet path reuses the same few buffers, so it passes their addresses as plain {@code long}s instead.
 *
 * <p>Each slot holds an immutable entry, so threads that share a device may race on a slot and only
 * ever see a buffer paired with its own address. A buffer that misses (evicted or new) costs one
 * lookup and allocation; the buffers in use stay resident.
 */
final class DirectAddresses {

    private static final int SLOTS = 64;

    private static final class Entry {
        final ByteBuffer buffer;
        final long address;

        Entry(ByteBuffer buffer, long address) {
            this.buffer = buffer;
            this.address = address;
        }
    }

    private final Entry[] slots = new Entry[SLOTS];

    /** The address of {@code buffer}'s first byte (index 0, not its position); {@code buffer} must be direct. */
    long baseOf(ByteBuffer buffer) {
        int slot = System.identityHashCode(buffer) & (SLOTS - 1);
        Entry e = slots[slot];
        if (e != null && e.buffer == buffer) {
            return e.address;
        }
        long address = Pointer.nativeValue(Native.getDirectBufferPointer(buffer));
        if (address == 0) {
            throw new IllegalArgumentException("not a direct buffer");
        }
        slots[slot] = new Entry(buffer, address);
        return address;
    }
}
