package io.cryptun.noise.device;

import io.cryptun.noise.wire.Bytes;

/** Just enough of IPv4/IPv6 headers for cryptokey routing: version, addresses, total length. */
final class InnerPacket {
    static final int IPV4_HEADER = 20;
    static final int IPV6_HEADER = 40;
    static final int IPV4_SRC = 12;
    static final int IPV4_DST = 16;
    static final int IPV6_SRC = 8;
    static final int IPV6_DST = 24;

    private InnerPacket() {
    }

    static int version(byte[] b, int off, int len) {
        return len < 1 ? 0 : (b[off] & 0xff) >>> 4;
    }

    /**
     * The packet's own length from its header, or -1 when the header is malformed or claims more
     * than {@code len} bytes. Padding beyond it is trimmed by the caller.
     */
    static int declaredLength(byte[] b, int off, int len) {
        switch (version(b, off, len)) {
            case 4: {
                if (len < IPV4_HEADER) {
                    return -1;
                }
                int total = Bytes.readShortBE(b, off + 2);
                return total < IPV4_HEADER || total > len ? -1 : total;
            }
            case 6: {
                if (len < IPV6_HEADER) {
                    return -1;
                }
                int total = Bytes.readShortBE(b, off + 4) + IPV6_HEADER;
                return total > len ? -1 : total;
            }
            default:
                return -1;
        }
    }
}
