package io.cryptun.noise.wire;

/**
 * Handshake response, 92 bytes: type ‖ sender ‖ receiver ‖ ephemeral[32] ‖ empty[0+16] ‖
 * mac1[16] ‖ mac2[16].
 */
public final class ResponseMessage {
    public static final int SIZE = 92;
    public static final int OFF_SENDER = 4;
    public static final int OFF_RECEIVER = 8;
    public static final int OFF_EPHEMERAL = 12;
    public static final int OFF_EMPTY = 44;
    public static final int OFF_MAC1 = 60;
    public static final int OFF_MAC2 = 76;
    public static final int OFF_NOISE = OFF_EPHEMERAL;
    public static final int NOISE_LENGTH = OFF_MAC1 - OFF_NOISE;

    private ResponseMessage() {
    }

    public static void writeHeader(byte[] b, int off, int senderIndex, int receiverIndex) {
        Bytes.writeIntLE(b, off, MessageType.RESPONSE);
        Bytes.writeIntLE(b, off + OFF_SENDER, senderIndex);
        Bytes.writeIntLE(b, off + OFF_RECEIVER, receiverIndex);
    }

    public static int sender(byte[] b, int off) {
        return Bytes.readIntLE(b, off + OFF_SENDER);
    }

    public static int receiver(byte[] b, int off) {
        return Bytes.readIntLE(b, off + OFF_RECEIVER);
    }
}
