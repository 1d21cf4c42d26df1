package io.cryptun.tun;
// Placeholder until the tun-device module lands (being written in parallel); replaced by the real class.
public class TunException extends java.io.IOException {
    public TunException(String m) { super(m); }
}
