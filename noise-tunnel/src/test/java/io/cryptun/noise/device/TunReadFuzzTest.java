package io.cryptun.noise.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.noise.wire.MessageType;
import io.cryptun.noise.wire.TransportMessage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzzes the TUN read path: arbitrary bytes handed to {@link Device#sendPacket} as if the kernel
 * had given them as an IP packet. Device a routes half of each address family to its peer b
 * (0.0.0.0/1, ::/1), so inputs reach both the no-route drop and the sealing code.
 *
 * <p>After each input: a sent at most one datagram, only to b's endpoint and only transport data;
 * it was sent exactly when the input is an IPv4/IPv6 packet of at least a header's length whose
 * destination a routes to b; b decrypted it, and wrote it to its TUN sink (trimmed to the header's
 * length) exactly when the header is consistent with the padded plaintext and the source is one b
 * allows for a; the
 * session's staged queue stayed empty.
 */
class TunReadFuzzTest {
    private static final EstablishedPair PAIR = new EstablishedPair(11);
    private static final UdpReceiveFuzzTest.Recorder A_OUT = new UdpReceiveFuzzTest.Recorder();
    private static final UdpReceiveFuzzTest.Recorder B_OUT = new UdpReceiveFuzzTest.Recorder();

    static {
        Peer b = PAIR.peerOfA();
        PAIR.a.device.allowedIps().insert(IpPrefix.parse("0.0.0.0/1"), b);
        PAIR.a.device.allowedIps().insert(IpPrefix.parse("::/1"), b);
    }

    @MethodSource("seeds")
    @FuzzTest(maxDuration = "30s")
    void sendPacket(byte[] input) {
        int len = Math.min(input.length, Worker.MAX_PACKET);
        byte[] buf = new byte[Protocol.HEADROOM + len + Protocol.TAILROOM];
        System.arraycopy(input, 0, buf, Protocol.HEADROOM, len);
        byte[] packet = Arrays.copyOf(input, len);
        A_OUT.clear();
        B_OUT.clear();
        long dropsBefore = PAIR.a.device.stats().totalDrops();

        PAIR.a.device.sendPacket(PAIR.a.worker, buf, Protocol.HEADROOM, len, A_OUT);

        assertEquals(0, PAIR.peerOfA().stagedPackets(), "a live session stages nothing");
        boolean routed = routedToB(packet);
        if (!routed) {
            assertTrue(A_OUT.sent.isEmpty(), "sent a packet a does not route to b");
            assertEquals(dropsBefore + 1, PAIR.a.device.stats().totalDrops(), "an unsendable packet is counted");
            return;
        }
        assertEquals(1, A_OUT.sent.size(), "one datagram per routed packet");
        byte[] d = A_OUT.sent.get(0);
        assertEquals(MessageType.TRANSPORT, MessageType.of(d, 0, d.length));
        assertEquals(PAIR.b.address, A_OUT.destinations.get(0));
        PAIR.b.device.receive(PAIR.b.worker, d, 0, d.length, PAIR.a.address, B_OUT);
        // b sees the zero padding too: a header may claim some of it, as with any WireGuard
        byte[] padded = Arrays.copyOf(packet, TransportMessage.paddedLength(len, PAIR.a.device.mtu()));
        int declared = InnerPacket.declaredLength(padded, 0, padded.length);
        if (declared > 0 && allowedAtB(packet)) {
            assertEquals(1, B_OUT.tun.size(), "b delivers a well-formed packet from a");
            assertArrayEquals(Arrays.copyOf(padded, declared), B_OUT.tun.get(0));
        } else if (!B_OUT.tun.isEmpty()) {
            fail("b delivered a malformed or spoofed packet");
        }
        assertTrue(B_OUT.sent.isEmpty(), "b answers data with nothing");
    }

    private static boolean routedToB(byte[] p) {
        int v = InnerPacket.version(p, 0, p.length);
        if (v == 4 && p.length >= InnerPacket.IPV4_HEADER) {
            return (p[InnerPacket.IPV4_DST] & 0x80) == 0;
        }
        if (v == 6 && p.length >= InnerPacket.IPV6_HEADER) {
            return (p[InnerPacket.IPV6_DST] & 0x80) == 0 || IpPrefix.parse(EstablishedPair.B_TUNNEL_V6 + "/128")
                    .contains(Arrays.copyOfRange(p, InnerPacket.IPV6_DST, InnerPacket.IPV6_DST + 16));
        }
        return false;
    }

    private static boolean allowedAtB(byte[] p) {
        if (InnerPacket.version(p, 0, p.length) == 4) {
            return IpPrefix.parse(EstablishedPair.A_TUNNEL_V4 + "/32")
                    .contains(Arrays.copyOfRange(p, InnerPacket.IPV4_SRC, InnerPacket.IPV4_SRC + 4));
        }
        return IpPrefix.parse(EstablishedPair.A_TUNNEL_V6 + "/128")
                .contains(Arrays.copyOfRange(p, InnerPacket.IPV6_SRC, InnerPacket.IPV6_SRC + 16));
    }

    static Stream<Arguments> seeds() {
        List<byte[]> s = new ArrayList<>();
        s.add(SamplePackets.udp4(EstablishedPair.A_TUNNEL_V4, EstablishedPair.B_TUNNEL_V4, 56));
        s.add(SamplePackets.udp4(EstablishedPair.A_TUNNEL_V4, EstablishedPair.B_TUNNEL_V4, 1392));
        s.add(SamplePackets.udp6(EstablishedPair.A_TUNNEL_V6, EstablishedPair.B_TUNNEL_V6, 56));
        s.add(SamplePackets.udp4("100.64.0.77", EstablishedPair.B_TUNNEL_V4, 8));
        s.add(SamplePackets.udp4(EstablishedPair.A_TUNNEL_V4, "192.0.2.1", 8));
        byte[] lying = SamplePackets.udp4(EstablishedPair.A_TUNNEL_V4, EstablishedPair.B_TUNNEL_V4, 8);
        lying[2] = (byte) 0xff;
        s.add(lying);
        byte[] shortV6 = Arrays.copyOf(SamplePackets.udp6(EstablishedPair.A_TUNNEL_V6, EstablishedPair.B_TUNNEL_V6, 0), 39);
        s.add(shortV6);
        s.add(new byte[] {0x45});
        s.add(new byte[] {0x00, 0x01});
        return s.stream().map(p -> Arguments.of((Object) p));
    }
}
