package io.cryptun.noise.wire;

/**
 * Handshake initiation, 148 bytes: type ‖ sender ‖ ephemeral[32] ‖ static[32+16] ‖
 * timestamp[12+16] ‖ mac1[16] ‖ mac2[16].
 */
public final class InitiationMessage {
    public static final int SIZE = 148;
    public static final int OFF_SENDER = 4;
    public static final int OFF_EPHEMERAL = 8;
    public static final int OFF_STATIC = 40;
    public static final int OFF_TIMESTAMP = 88;
    public static final int OFF_MAC1 = 116;
    public static final int OFF_MAC2 = 132;
    /** Where the Noise message proper (e, s, payload) starts: everything WireGuard adds is outside it. */
    public static final int OFF_NOISE = OFF_EPHEMERAL;
    public static final int NOISE_LENGTH = OFF_MAC1 - OFF_NOISE;

    private InitiationMessage() {
    }

    public static void writeHeader(byte[] b, int off, int senderIndex) {
        Bytes.writeIntLE(b, off, MessageType.INITIATION);
        Bytes.writeIntLE(b, off + OFF_SENDER, senderIndex);
    }

    public static int sender(byte[] b, int off) {
        return Bytes.readIntLE(b, off + OFF_SENDER);
    }
}
