package io.cryptun.noise.wire;

/** Cookie reply, 64 bytes: type ‖ receiver ‖ nonce[24] ‖ encrypted cookie[16+16]. */
public final class CookieReplyMessage {
    public static final int SIZE = 64;
    public static final int OFF_RECEIVER = 4;
    public static final int OFF_NONCE = 8;
    public static final int OFF_COOKIE = 32;
    public static final int COOKIE_CIPHERTEXT_LENGTH = 32;

    private CookieReplyMessage() {
    }

    public static int receiver(byte[] b, int off) {
        return Bytes.readIntLE(b, off + OFF_RECEIVER);
    }
}
