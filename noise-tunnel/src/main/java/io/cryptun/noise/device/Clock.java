package io.cryptun.noise.device;

/**
 * Time as the protocol core sees it: a monotonic clock for timers and session ages, and wall-clock
 * time for TAI64N timestamps and "last handshake" reports. Tests drive a fake one.
 */
public interface Clock {
    long nanoTime();

    long unixNanos();

    static Clock system() {
        return SystemClock.INSTANCE;
    }
}
