package io.cryptun.tun;

/** The device was used after {@link TunDevice#close()} (by this or another thread). */
public final class TunClosedException extends TunException {

    public TunClosedException(String name) {
        super("TUN device " + name + " is closed");
    }
}
