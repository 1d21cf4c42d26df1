package io.cryptun.noise.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.noise.cookie.CookieChecker;
import io.cryptun.noise.cookie.CookieGenerator;
import io.cryptun.noise.session.Keypair;
import io.cryptun.noise.wire.Bytes;
import io.cryptun.noise.wire.CookieReplyMessage;
import io.cryptun.noise.wire.InitiationMessage;
import io.cryptun.noise.wire.MessageType;
import io.cryptun.noise.wire.ResponseMessage;
import io.cryptun.noise.wire.TransportMessage;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzzes the UDP receive path ({@link Device#receive} then {@link Device#processHandshakes}) of a
 * device with an established session. The first input byte picks how the rest becomes a datagram:
 *
 * <ol start="0">
 * <li>as is (seeds: every real capture, and the payloads of the team's wireguard-go pcap);
 * <li>an initiation of the right size with a valid mac1 (computed with the device's public key)
 *     around garbage, so it passes the DoS check and reaches the Noise code;
 * <li>the same for a response, its receiver index pointing, when the input says so, at the handshake
 *     the device has in flight (so it reaches the Noise code) or at the live session;
 * <li>a cookie reply of the right size, addressed to the live session's index;
 * <li>transport data addressed to the live session's index;
 * <li>under load: an initiation with a valid mac1 and a valid mac2 for a source chosen by the input
 *     (the cookie fetched first, as an attacker on that address could), reaching the rate limiter;
 * <li>a plaintext sealed with the peer's real session key, so the inner-packet checks see
 *     authenticated garbage;
 * <li>a real capture, bit-flipped, truncated or extended as the input says.
 * </ol>
 *
 * <p>After each input: nothing was written to the TUN sink unless it was authentic (mode 6) and
 * then only a well-formed packet from an allowed source, byte for byte; nothing was sent except a
 * cookie reply to a handshake message with a valid mac1 (addressed to its sender index); the peer's
 * endpoint did not move; the handshake queue is empty.
 * Every 1024 inputs the real peers exchange a packet each way, which must still arrive.
 *
 * <p>Regression mode (plain {@code mvn test}) runs the seeds below and the files in
 * {@code UdpReceiveFuzzTestInputs/receive}; {@code fuzz/run} fuzzes it.
 */
class UdpReceiveFuzzTest {
    static final int MODES = 8;
    private static final int MAX_PLAINTEXT = Worker.MAX_PACKET - TransportMessage.MIN_SIZE;
    private static final InetSocketAddress ATTACKER = address("198.18.0.66", 4444);
    private static final EstablishedPair PAIR = new EstablishedPair(7);
    private static final Recorder SINK = new Recorder();
    /** A stranger that computes mac1 for the device under test, and mac2 once it has a cookie. */
    private static final CookieGenerator FORGER = new CookieGenerator(PAIR.a.publicKey);
    private static long executions;
    /** The index of a handshake a started and never finished: a response for it reaches the Noise code. */
    private static final int PENDING_HANDSHAKE_INDEX;

    static {
        PAIR.net.clock.advance(FakeClock.seconds(6));
        Peer b = PAIR.peerOfA();
        PAIR.a.device.outbound.sendHandshakeInitiation(b, false, PAIR.a.worker, PAIR.a, PAIR.net.clock.nanoTime());
        PAIR.net.dropInFlight();
        synchronized (b) {
            if (b.handshake.state != HandshakeState.INITIATION_CREATED) {
                throw new IllegalStateException("no handshake in flight");
            }
            PENDING_HANDSHAKE_INDEX = b.handshake.localIndex;
        }
    }

    @MethodSource("seeds")
    @FuzzTest(maxDuration = "30s")
    void receive(byte[] input) {
        if (input.length == 0) {
            return;
        }
        int mode = (input[0] & 0xff) % MODES;
        byte[] body = Arrays.copyOfRange(input, 1, input.length);
        Device a = PAIR.a.device;
        Peer peer = PAIR.peerOfA();
        InetSocketAddress endpointBefore = peer.endpoint();
        SINK.clear();
        boolean underLoad = false;
        byte[] authentic = null;
        InetSocketAddress from = ATTACKER;
        byte[] datagram;
        switch (mode) {
            case 0:
                datagram = body;
                break;
            case 1:
                datagram = withMac1(shaped(body, InitiationMessage.SIZE, MessageType.INITIATION));
                break;
            case 2: {
                datagram = shaped(body, ResponseMessage.SIZE, MessageType.RESPONSE);
                if (body.length > 0 && (body[0] & 1) == 1) {
                    Bytes.writeIntLE(datagram, ResponseMessage.OFF_RECEIVER,
                            (body[0] & 2) == 0 ? PENDING_HANDSHAKE_INDEX : liveIndex());
                }
                datagram = withMac1(datagram);
                break;
            }
            case 3:
                datagram = shaped(body, CookieReplyMessage.SIZE, MessageType.COOKIE_REPLY);
                Bytes.writeIntLE(datagram, CookieReplyMessage.OFF_RECEIVER, liveIndex());
                break;
            case 4: {
                datagram = body.length < TransportMessage.MIN_SIZE ? Arrays.copyOf(body, TransportMessage.MIN_SIZE) : body;
                Bytes.writeIntLE(datagram, 0, MessageType.TRANSPORT);
                Bytes.writeIntLE(datagram, TransportMessage.OFF_RECEIVER, liveIndex());
                break;
            }
            case 5: {
                underLoad = true;
                from = sourceFrom(body);
                a.overrideUnderLoad(true);
                datagram = withMacs(shaped(body, InitiationMessage.SIZE, MessageType.INITIATION), from);
                SINK.clear();
                break;
            }
            case 6: {
                authentic = Arrays.copyOf(body, Math.min(body.length, MAX_PLAINTEXT));
                from = PAIR.b.address;
                datagram = sealedByPeer(authentic);
                break;
            }
            default:
                datagram = mutatedCapture(body);
                break;
        }
        try {
            byte[] buf = Arrays.copyOf(datagram, datagram.length);
            a.receive(PAIR.a.worker, buf, 0, buf.length, from, SINK);
            a.processHandshakes(PAIR.a.worker, SINK);
        } finally {
            a.overrideUnderLoad(null);
            if (underLoad) {
                forgetLoad(a);
            }
        }
        assertEquals(0, a.handshakeQueue().size(), "handshake queue drained");
        assertEquals(endpointBefore, peer.endpoint(), "unauthenticated input moved the endpoint");
        for (byte[] sent : SINK.sent) {
            // the one answer to the unauthenticated: a cookie reply, and only to a handshake
            // message whose mac1 is valid for this device (a stranger can make those; the device
            // answers them only while under load)
            if (MessageType.of(sent, 0, sent.length) != MessageType.COOKIE_REPLY || sent.length != CookieReplyMessage.SIZE
                    || !mac1ValidHandshake(datagram)
                    || CookieReplyMessage.receiver(sent, 0) != InitiationMessage.sender(datagram, 0)) {
                fail("sent a " + MessageType.name(MessageType.of(sent, 0, sent.length)) + " of " + sent.length
                        + " bytes in reply to mode " + mode + (underLoad ? " under load" : ""));
            }
        }
        if (authentic == null) {
            assertTrue(SINK.tun.isEmpty(), "unauthenticated input reached the TUN sink (mode " + mode + ")");
        } else {
            checkAuthenticDelivery(authentic);
        }
        if (++executions % 1024 == 0) {
            checkRealTrafficFlows();
        }
    }

    /** An authenticated plaintext reaches the TUN sink only as a well-formed packet from an allowed source. */
    private static void checkAuthenticDelivery(byte[] plain) {
        int declared = InnerPacket.declaredLength(plain, 0, plain.length);
        IpPrefix allowed4 = IpPrefix.parse(EstablishedPair.B_TUNNEL_V4 + "/32");
        IpPrefix allowed6 = IpPrefix.parse(EstablishedPair.B_TUNNEL_V6 + "/128");
        boolean fromAllowed = declared > 0 && (InnerPacket.version(plain, 0, plain.length) == 4
                ? allowed4.contains(Arrays.copyOfRange(plain, InnerPacket.IPV4_SRC, InnerPacket.IPV4_SRC + 4))
                : allowed6.contains(Arrays.copyOfRange(plain, InnerPacket.IPV6_SRC, InnerPacket.IPV6_SRC + 16)));
        if (fromAllowed) {
            assertEquals(1, SINK.tun.size(), "a well-formed packet from an allowed source is delivered");
            assertArrayEquals(Arrays.copyOf(plain, declared), SINK.tun.get(0));
        } else {
            assertTrue(SINK.tun.isEmpty(), "malformed or spoofed inner packet reached the TUN sink");
        }
    }

    /** The legitimate peers still reach each other after whatever the fuzzer sent. */
    private static void checkRealTrafficFlows() {
        List<byte[]> got = new ArrayList<>();
        PAIR.net.onTun = (n, p) -> got.add(p.data());
        byte[] toA = SamplePackets.udp4(EstablishedPair.B_TUNNEL_V4, EstablishedPair.A_TUNNEL_V4, 32);
        byte[] toB = SamplePackets.udp6(EstablishedPair.A_TUNNEL_V6, EstablishedPair.B_TUNNEL_V6, 32);
        PAIR.b.sendIp(toA);
        PAIR.a.sendIp(toB);
        PAIR.net.pump();
        PAIR.net.onTun = (n, p) -> { };
        assertEquals(2, got.size(), "legitimate traffic stopped flowing");
        assertArrayEquals(toA, got.get(0));
        assertArrayEquals(toB, got.get(1));
    }

    /** An initiation or response of the right size whose mac1 is valid for the device under test. */
    private static boolean mac1ValidHandshake(byte[] d) {
        int type = MessageType.of(d, 0, d.length);
        boolean sized = (type == MessageType.INITIATION && d.length == InitiationMessage.SIZE)
                || (type == MessageType.RESPONSE && d.length == ResponseMessage.SIZE);
        return sized && MAC1.checkMac1(d, 0, d.length);
    }

    private static final CookieChecker MAC1 = new CookieChecker(TestNet.deterministic(1));

    static {
        MAC1.init(PAIR.a.publicKey);
    }

    /**
     * Forced load counts arrivals, and a queue depth's worth of them keeps the device under load
     * for a second of the clock, which never moves here: forget it, and the per-source cookie-reply
     * budgets, as a quiet second would.
     */
    private static void forgetLoad(Device d) {
        try {
            java.lang.reflect.Field until = LoadGuard.class.getDeclaredField("underLoadUntil");
            until.setAccessible(true);
            until.setLong(d.loadGuard, Long.MIN_VALUE);
            java.lang.reflect.Field arrivals = LoadGuard.class.getDeclaredField("arrivalsUnderLoad");
            arrivals.setAccessible(true);
            ((java.util.concurrent.atomic.AtomicInteger) arrivals.get(d.loadGuard)).set(0);
            // and the cookie replies each source was given: a quiet second refills their budgets
            java.lang.reflect.Field replies = LoadGuard.class.getDeclaredField("cookieReplyLimiter");
            replies.setAccessible(true);
            replies.set(d.loadGuard, new io.cryptun.noise.cookie.CookieReplyLimiter());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("the device's load state moved", e);
        }
    }

    // ================================================================ input shaping

    /** body cut or zero-padded to size, with the message type in front. */
    private static byte[] shaped(byte[] body, int size, int type) {
        byte[] m = Arrays.copyOf(body, size);
        Bytes.writeIntLE(m, 0, type);
        return m;
    }

    private static byte[] withMac1(byte[] msg) {
        synchronized (FORGER) {
            // a generator with no fresh cookie writes mac1 and a zero mac2
            if (FORGER.hasFreshCookie(PAIR.net.clock.nanoTime())) {
                FORGER.clear();
            }
            FORGER.addMacs(msg, 0, msg.length, PAIR.net.clock.nanoTime());
        }
        return msg;
    }

    /** mac1 and a mac2 valid for {@code from}: the forger asks the device for a cookie first. */
    private static byte[] withMacs(byte[] msg, InetSocketAddress from) {
        Device a = PAIR.a.device;
        long now = PAIR.net.clock.nanoTime();
        FORGER.clear();
        byte[] probe = msg.clone();
        FORGER.addMacs(probe, 0, probe.length, now);
        a.receive(PAIR.a.worker, probe, 0, probe.length, from, SINK);
        a.processHandshakes(PAIR.a.worker, SINK);
        assertEquals(1, SINK.sent.size(), "a cookie reply answers a mac1-valid initiation under load");
        byte[] reply = SINK.sent.get(0);
        assertTrue(FORGER.consumeReply(reply, 0, now), "the device's cookie reply authenticates");
        FORGER.addMacs(msg, 0, msg.length, now);
        return msg;
    }

    private static InetSocketAddress sourceFrom(byte[] body) {
        int pick = body.length > 2 ? ((body[1] & 0xff) << 8) | (body[2] & 0xff) : 0;
        if ((pick & 1) == 0) {
            return address("198.19." + ((pick >>> 8) & 0xff) + "." + ((pick >>> 1) & 0x7f), 1000 + (pick & 0x7fff));
        }
        return address("2001:db8:" + Integer.toHexString(pick) + "::" + Integer.toHexString(pick & 0xff), 2000 + (pick & 0x7fff));
    }

    /** The plaintext sealed on b's current session, as b would send it (unpadded). */
    private static byte[] sealedByPeer(byte[] plain) {
        Keypair kp = PAIR.peerOfB().currentKeypair();
        int len = plain.length;
        byte[] buf = new byte[TransportMessage.HEADER_SIZE + len + 16];
        System.arraycopy(plain, 0, buf, TransportMessage.HEADER_SIZE, len);
        long counter = kp.nextSendCounter();
        TransportMessage.writeHeader(buf, 0, kp.remoteIndex(), counter);
        PAIR.b.worker.cipher.seal(kp.sendKey(), counter, buf, TransportMessage.HEADER_SIZE, len);
        return buf;
    }

    /** A real capture, then: 0 flip bits, 1 truncate, 2 extend with the rest of the input. */
    private static byte[] mutatedCapture(byte[] body) {
        List<byte[]> captures = CAPTURES;
        if (body.length < 2) {
            return captures.get(0).clone();
        }
        byte[] c = captures.get((body[0] & 0xff) % captures.size()).clone();
        int op = (body[1] & 0xff) % 3;
        if (op == 0) {
            for (int i = 2; i + 1 < body.length; i += 2) {
                c[(body[i] & 0xff) * 7 % c.length] ^= body[i + 1];
            }
            return c;
        }
        if (op == 1) {
            int cut = body.length > 2 ? ((body[2] & 0xff) << 8 | (body.length > 3 ? body[3] & 0xff : 0)) % c.length : 0;
            return Arrays.copyOf(c, cut);
        }
        byte[] tail = Arrays.copyOfRange(body, 2, body.length);
        byte[] out = Arrays.copyOf(c, c.length + tail.length);
        System.arraycopy(tail, 0, out, c.length, tail.length);
        return out;
    }

    private static int liveIndex() {
        Keypair kp = PAIR.peerOfA().currentKeypair();
        return kp == null ? 0 : kp.localIndex();
    }

    // ================================================================ seeds

    private static final List<byte[]> CAPTURES = PAIR.all();

    static Stream<Arguments> seeds() {
        List<byte[]> seeds = new ArrayList<>();
        for (byte[] c : PAIR.bToA) {
            seeds.add(withMode(0, c));
            int type = MessageType.of(c, 0, c.length);
            if (type == MessageType.INITIATION) {
                seeds.add(withMode(1, c));
                seeds.add(withMode(5, c));
            } else if (type == MessageType.RESPONSE) {
                seeds.add(withMode(2, c));
                byte[] toPending = c.clone();
                toPending[0] = 1;
                seeds.add(withMode(2, toPending));
            } else if (type == MessageType.COOKIE_REPLY) {
                seeds.add(withMode(3, c));
            } else if (type == MessageType.TRANSPORT) {
                seeds.add(withMode(4, c));
            }
        }
        for (byte[] c : PAIR.aToB) {
            seeds.add(withMode(0, c));
        }
        seeds.add(withMode(6, SamplePackets.udp4(EstablishedPair.B_TUNNEL_V4, EstablishedPair.A_TUNNEL_V4, 20)));
        seeds.add(withMode(6, SamplePackets.udp6(EstablishedPair.B_TUNNEL_V6, EstablishedPair.A_TUNNEL_V6, 20)));
        seeds.add(withMode(6, SamplePackets.udp4("100.64.0.9", EstablishedPair.A_TUNNEL_V4, 20)));
        seeds.add(withMode(6, new byte[0]));
        for (int i = 0; i < CAPTURES.size(); i++) {
            seeds.add(withMode(7, new byte[] {(byte) i, 0, 0, 1, 20, (byte) 0x80}));
            seeds.add(withMode(7, new byte[] {(byte) i, 1, 0, 3}));
            seeds.add(withMode(7, new byte[] {(byte) i, 2, 1, 2, 3}));
        }
        return seeds.stream().map(s -> Arguments.of((Object) s));
    }

    static byte[] withMode(int mode, byte[] body) {
        byte[] s = new byte[body.length + 1];
        s[0] = (byte) mode;
        System.arraycopy(body, 0, s, 1, body.length);
        return s;
    }

    static InetSocketAddress address(String ip, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByAddress(IpPrefix.parseNumericAddress(ip)), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** Records what the device under test sends and delivers. */
    static final class Recorder implements PacketSink {
        final List<byte[]> sent = new ArrayList<>();
        final List<byte[]> tun = new ArrayList<>();
        final List<InetSocketAddress> destinations = new ArrayList<>();

        void clear() {
            sent.clear();
            destinations.clear();
            tun.clear();
        }

        @Override
        public boolean sendDatagram(InetSocketAddress to, byte[] buf, int off, int len) {
            sent.add(Arrays.copyOfRange(buf, off, off + len));
            destinations.add(to);
            return true;
        }

        @Override
        public void writeTun(byte[] buf, int off, int len) {
            tun.add(Arrays.copyOfRange(buf, off, off + len));
        }
    }
}
