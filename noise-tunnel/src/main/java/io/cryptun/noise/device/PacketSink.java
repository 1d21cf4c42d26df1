package io.cryptun.noise.device;

import java.net.InetSocketAddress;

/**
 * Where the protocol core puts what it wants sent. The buffers are only valid during the call:
 * an implementation copies or transmits before returning. The IO shell implements this over
 * its UDP socket and TUN device; tests record the packets.
 */
public interface PacketSink {
    /** Sends one datagram. Returns false when the send failed (counted, never thrown). */
    boolean sendDatagram(InetSocketAddress to, byte[] buf, int off, int len);

    /** Delivers one decrypted IP packet to the TUN device. */
    void writeTun(byte[] buf, int off, int len);
}
