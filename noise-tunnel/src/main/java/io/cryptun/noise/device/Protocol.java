package io.cryptun.noise.device;

/**
 * WireGuard's limits and timer constants (whitepaper section 6.1; wireguard-go's constants.go,
 * whose choices we follow where the paper leaves room).
 */
public final class Protocol {
    private static final long SECOND = 1_000_000_000L;
    private static final long MILLISECOND = 1_000_000L;

    /** A new handshake is started after this many messages on a keypair. */
    public static final long REKEY_AFTER_MESSAGES = 1L << 60;
    /** No message may use a counter at or above this: 2^64 - 2^13 - 1, compared unsigned. */
    public static final long REJECT_AFTER_MESSAGES = 0xFFFF_FFFF_FFFF_DFFFL;
    public static final long REKEY_AFTER_TIME = 120 * SECOND;
    public static final long REJECT_AFTER_TIME = 180 * SECOND;
    public static final long REKEY_ATTEMPT_TIME = 90 * SECOND;
    public static final long REKEY_TIMEOUT = 5 * SECOND;
    /** Retransmissions before giving up: 90 s / 5 s. */
    public static final int MAX_TIMER_HANDSHAKES = (int) (REKEY_ATTEMPT_TIME / REKEY_TIMEOUT);
    /** Retransmit jitter is drawn from [0, 334) ms, as wireguard-go does. */
    public static final int REKEY_TIMEOUT_JITTER_MAX_MS = 334;
    public static final long KEEPALIVE_TIMEOUT = 10 * SECOND;
    /** Two initiations from one peer closer than this are a flood (1 s / 50). */
    public static final long HANDSHAKE_INITIATION_RATE = 20 * MILLISECOND;
    /** Keys are zeroed when no new session was made for 3 x REJECT_AFTER_TIME. */
    public static final long ZERO_KEYS_AFTER = 3 * REJECT_AFTER_TIME;
    /** The initiator starts a new handshake when its session is this old and still receiving. */
    public static final long REKEY_ON_RECEIVE_AFTER = REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT;

    /** Packets held per peer while a handshake completes (kernel MAX_STAGED_PACKETS). */
    public static final int MAX_STAGED_PACKETS = 128;
    public static final int MAX_PEERS = 1 << 16;
    /** Handshake messages waiting for the handshake worker. */
    public static final int HANDSHAKE_QUEUE_SIZE = 1024;
    /** The device is "under load" from this queue depth on (wireguard-go: QueueHandshakeSize / 8). */
    public static final int UNDER_LOAD_QUEUE_DEPTH = HANDSHAKE_QUEUE_SIZE / 8;
    /** ... and stays so for this long after the queue drains. */
    public static final long UNDER_LOAD_AFTER_TIME = SECOND;

    /** Room a caller leaves before an IP packet (the transport header) and after it (padding and tag). */
    public static final int HEADROOM = 16;
    public static final int TAILROOM = 15 + 16;

    private Protocol() {
    }

    /** Unsigned comparison: true when counter is at or past the limit. */
    static boolean counterAtOrPast(long counter, long limit) {
        return Long.compareUnsigned(counter, limit) >= 0;
    }
}
