package io.cryptun.noise.device;

import java.util.Random;

/** The random delay added to handshake retransmissions, so peers do not retry in lockstep. */
@FunctionalInterface
public interface Jitter {
    long nextJitterNanos();

    /** Uniform whole milliseconds in [0, 334), as wireguard-go draws them. */
    static Jitter random(Random random) {
        return () -> random.nextInt(Protocol.REKEY_TIMEOUT_JITTER_MAX_MS) * 1_000_000L;
    }

    static Jitter none() {
        return () -> 0L;
    }
}
