package io.cryptun.noise.handshake;

import io.cryptun.noise.wire.Bytes;

/**
 * The 12-byte TAI64N timestamp carried (encrypted) in every initiation. Responders accept an
 * initiation only when its timestamp is newer than the last accepted one, which stops replays.
 */
public final class Tai64n {
    public static final int LENGTH = 12;
    /** TAI64 label of the Unix epoch: 2^62 + 10 leap seconds, as wireguard-go and the kernel use. */
    private static final long BASE = 0x400000000000000aL;
    /**
     * The low 24 bits of the nanoseconds are cleared (as wireguard-go does) so the timestamp does not
     * leak a fine-grained clock; it still orders initiations more than ~17 ms apart.
     */
    private static final int WHITENER_MASK = 0xffffff;

    private Tai64n() {
    }

    public static void write(long unixNanos, byte[] out, int off) {
        long secs = Math.floorDiv(unixNanos, 1_000_000_000L);
        int nanos = (int) Math.floorMod(unixNanos, 1_000_000_000L) & ~WHITENER_MASK;
        Bytes.writeLongBE(out, off, BASE + secs);
        Bytes.writeIntBE(out, off + 8, nanos);
    }

    public static byte[] of(long unixNanos) {
        byte[] t = new byte[LENGTH];
        write(unixNanos, t, 0);
        return t;
    }

    /** True when {@code a} is strictly after {@code b} (big-endian unsigned comparison). */
    public static boolean isAfter(byte[] a, byte[] b) {
        for (int i = 0; i < LENGTH; i++) {
            int x = a[i] & 0xff;
            int y = b[i] & 0xff;
            if (x != y) {
                return x > y;
            }
        }
        return false;
    }
}
