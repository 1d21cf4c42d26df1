package io.cryptun.noise.wire;

/**
 * WireGuard's four message types. The type is one byte followed by three zero bytes, read as a
 * little-endian 32-bit word so that non-zero reserved bytes make the type unknown.
 */
public final class MessageType {
    public static final int INITIATION = 1;
    public static final int RESPONSE = 2;
    public static final int COOKIE_REPLY = 3;
    public static final int TRANSPORT = 4;

    private MessageType() {
    }

    /** The type word of a datagram, or 0 when it is shorter than 4 bytes. */
    public static int of(byte[] b, int off, int len) {
        return len < 4 ? 0 : Bytes.readIntLE(b, off);
    }

    public static String name(int type) {
        switch (type) {
            case INITIATION:
                return "handshake initiation";
            case RESPONSE:
                return "handshake response";
            case COOKIE_REPLY:
                return "cookie reply";
            case TRANSPORT:
                return "transport data";
            default:
                return "unknown";
        }
    }
}
