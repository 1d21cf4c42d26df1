package io.cryptun.packaging;

import java.io.ByteArrayOutputStream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * gzip as {@code gzip -9n} writes it: best compression, no file name, no timestamp. Java's
 * GZIPOutputStream compresses at the default level and leaves the header's "maximum compression"
 * flag clear, which Debian's lintian reports as poor compression (man pages and changelogs must
 * be compressed with -9n); the empty timestamp keeps the package reproducible.
 */
final class Gzip {
    private static final int XFL_MAXIMUM_COMPRESSION = 2;
    private static final int OS_UNIX = 3;

    private Gzip() {
    }

    static byte[] maxCompressed(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 3 + 64);
        // magic, CM=deflate, FLG=0 (no name, no comment), MTIME=0, XFL, OS
        out.writeBytes(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, XFL_MAXIMUM_COMPRESSION, OS_UNIX});
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
        try {
            deflater.setInput(data);
            deflater.finish();
            byte[] buf = new byte[8192];
            while (!deflater.finished()) {
                int n = deflater.deflate(buf);
                out.write(buf, 0, n);
            }
        } finally {
            deflater.end();
        }
        CRC32 crc = new CRC32();
        crc.update(data);
        writeLittleEndian(out, (int) crc.getValue());
        writeLittleEndian(out, data.length);
        return out.toByteArray();
    }

    private static void writeLittleEndian(ByteArrayOutputStream out, int v) {
        out.write(v);
        out.write(v >>> 8);
        out.write(v >>> 16);
        out.write(v >>> 24);
    }
}
