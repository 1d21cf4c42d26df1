package io.cryptun.noise.wire;

/** Little- and big-endian integer access in byte arrays, as WireGuard messages and IP headers need. */
public final class Bytes {
    private Bytes() {
    }

    public static int readIntLE(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }

    public static void writeIntLE(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
        b[off + 2] = (byte) (v >>> 16);
        b[off + 3] = (byte) (v >>> 24);
    }

    public static long readLongLE(byte[] b, int off) {
        return (readIntLE(b, off) & 0xffffffffL) | ((long) readIntLE(b, off + 4) << 32);
    }

    public static void writeLongLE(byte[] b, int off, long v) {
        writeIntLE(b, off, (int) v);
        writeIntLE(b, off + 4, (int) (v >>> 32));
    }

    public static int readShortBE(byte[] b, int off) {
        return (b[off] & 0xff) << 8 | (b[off + 1] & 0xff);
    }

    public static void writeShortBE(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    public static long readLongBE(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | (b[off + i] & 0xff);
        }
        return v;
    }

    public static void writeLongBE(byte[] b, int off, long v) {
        for (int i = 7; i >= 0; i--) {
            b[off + i] = (byte) v;
            v >>>= 8;
        }
    }

    public static void writeIntBE(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }
}
