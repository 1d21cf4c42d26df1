package io.cryptun.noise.wire;

/**
 * Transport data: type ‖ receiver ‖ counter (64-bit LE) ‖ encrypted padded packet ‖ tag[16].
 * The smallest (an encrypted empty packet) is the 32-byte keepalive.
 */
public final class TransportMessage {
    public static final int HEADER_SIZE = 16;
    public static final int OFF_RECEIVER = 4;
    public static final int OFF_COUNTER = 8;
    public static final int MIN_SIZE = HEADER_SIZE + 16;
    public static final int KEEPALIVE_SIZE = MIN_SIZE;
    public static final int PADDING_MULTIPLE = 16;

    private TransportMessage() {
    }

    public static void writeHeader(byte[] b, int off, int receiverIndex, long counter) {
        Bytes.writeIntLE(b, off, MessageType.TRANSPORT);
        Bytes.writeIntLE(b, off + OFF_RECEIVER, receiverIndex);
        Bytes.writeLongLE(b, off + OFF_COUNTER, counter);
    }

    public static int receiver(byte[] b, int off) {
        return Bytes.readIntLE(b, off + OFF_RECEIVER);
    }

    public static long counter(byte[] b, int off) {
        return Bytes.readLongLE(b, off + OFF_COUNTER);
    }

    /**
     * Padding for a plaintext of {@code len} bytes: up to the next multiple of 16, but never past
     * the MTU (wireguard-go's calculatePaddingSize), so a full-MTU packet is not made bigger.
     */
    public static int paddedLength(int len, int mtu) {
        if (mtu <= 0) {
            return (len + PADDING_MULTIPLE - 1) & -PADDING_MULTIPLE;
        }
        int last = len > mtu ? len % mtu : len;
        int padded = (last + PADDING_MULTIPLE - 1) & -PADDING_MULTIPLE;
        if (padded > mtu) {
            padded = mtu;
        }
        return len + (padded - last);
    }
}
