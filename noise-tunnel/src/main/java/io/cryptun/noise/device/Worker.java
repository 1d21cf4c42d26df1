package io.cryptun.noise.device;

import io.cryptun.noise.crypto.TransportCipher;

/**
 * Per-thread scratch state for calls into the core: a cipher instance (ciphers are not thread
 * safe) and buffers for the packets the core builds itself (keepalives, handshakes, staged data).
 * Each IO thread owns one; nothing here is shared.
 */
public final class Worker {
    public static final int MAX_PACKET = 65535;

    final TransportCipher cipher;
    final byte[] scratch = new byte[Protocol.HEADROOM + MAX_PACKET + Protocol.TAILROOM];
    final byte[] handshake = new byte[148];

    public Worker(TransportCipher cipher) {
        this.cipher = cipher;
    }

    public TransportCipher cipher() {
        return cipher;
    }
}
