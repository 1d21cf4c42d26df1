package io.cryptun.tun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.ByteBuffer;

import org.junit.jupiter.api.Test;

/** The test helper's checksums must be right, or the ping tests would prove nothing. */
class IcmpPacketsTest {

    @Test
    void rfc1071ExampleSum() {
        // RFC 1071 section 3 example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 (before complement).
        ByteBuffer b = ByteBuffer.wrap(new byte[] {0x00, 0x01, (byte) 0xf2, 0x03, (byte) 0xf4, (byte) 0xf5,
            (byte) 0xf6, (byte) 0xf7});
        assertEquals(~0xddf2 & 0xffff, IcmpPackets.fold(IcmpPackets.sum(b, 0, 8, 0)));
    }

    @Test
    void knownIpv4HeaderChecksum() {
        // The classic example header from Wikipedia's "IPv4 header checksum" article: checksum b861.
        int[] h = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00,
            0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
        ByteBuffer b = ByteBuffer.allocate(20);
        for (int i = 0; i < 20; i++) {
            b.put(i, (byte) h[i]);
        }
        assertEquals(0xb861, IcmpPackets.fold(IcmpPackets.sum(b, 0, 20, 0)));
    }

    @Test
    void echoRequestBecomesValidReply() throws Exception {
        ByteBuffer p = ByteBuffer.allocate(100);
        InetAddress a = InetAddress.getByName("10.213.0.2");
        InetAddress b = InetAddress.getByName("10.213.0.1");
        int len = IcmpPackets.ipv4EchoRequest(p, a, b, 0x1234, 7, 13);
        assertTrue(IcmpPackets.ipv4ChecksumsValid(p, len));
        assertTrue(IcmpPackets.toEchoReply(p, len));
        assertTrue(IcmpPackets.ipv4ChecksumsValid(p, len));
        assertEquals(0, p.get(20));
        assertEquals(10, p.get(16));
        assertEquals(2, p.get(19)); // destination is now the original source
        assertFalse(IcmpPackets.isIpv4EchoRequest(p, len));
        assertFalse(IcmpPackets.toEchoReply(p, len));
    }
}
