package io.cryptun.bench;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.noise.device.Peer;
import io.cryptun.noise.device.Protocol;
import io.cryptun.noise.device.SamplePackets;

/**
 * Two in-memory interfaces configured as each other's only peer (with a pre-shared key, as the
 * end-to-end rig uses): A = 100.64.0.1 on 198.18.0.1:51820, B = 100.64.0.2 on 198.18.0.2:51821.
 * Datagrams move only when {@link #pump} or {@link BenchNode#deliverOne} is called, so a benchmark
 * decides exactly which protocol step it times.
 */
public final class BenchPair {
    public static final String TUNNEL_A = "100.64.0.1";
    public static final String TUNNEL_B = "100.64.0.2";
    /** Enough for a session to be unusable for sending (REJECT_AFTER_TIME) and for every handshake rate limit. */
    public static final long HANDSHAKE_STEP_NANOS = Protocol.REJECT_AFTER_TIME + 1_000_000_000L;

    public final BenchClock clock = new BenchClock();
    public final BenchNode a;
    public final BenchNode b;
    /** B as A sees it, and A as B sees it. */
    public final Peer peerB;
    public final Peer peerA;

    public BenchPair(String cipherBackend) {
        a = new BenchNode("A", "198.18.0.1", 51820, clock, cipherBackend, 1);
        b = new BenchNode("B", "198.18.0.2", 51821, clock, cipherBackend, 2);
        byte[] psk = new byte[32];
        BenchNode.seeded(3).nextBytes(psk);
        peerB = a.device.addPeer(b.publicKey);
        peerB.setEndpoint(b.address);
        peerB.setPresharedKey(psk);
        a.device.allowedIps().insert(IpPrefix.parse(TUNNEL_B + "/32"), peerB);
        peerA = b.device.addPeer(a.publicKey);
        peerA.setEndpoint(a.address);
        peerA.setPresharedKey(psk);
        b.device.allowedIps().insert(IpPrefix.parse(TUNNEL_A + "/32"), peerA);
    }

    /** A buffer holding {@code packet} with the head- and tailroom the core needs for in-place sealing. */
    public static byte[] tunBuffer(byte[] packet) {
        byte[] buf = new byte[Protocol.HEADROOM + packet.length + Protocol.TAILROOM];
        System.arraycopy(packet, 0, buf, Protocol.HEADROOM, packet.length);
        return buf;
    }

    /** A sends {@code buf} (from {@link #tunBuffer}) as if read from its TUN device. */
    public void sendFromA(byte[] buf, int packetLength) {
        a.device.sendPacket(a.worker, buf, Protocol.HEADROOM, packetLength, a);
    }

    /** Delivers datagrams both ways, with the handshakes they cause, until neither side has anything queued. */
    public void pump() {
        boolean progress = true;
        while (progress) {
            progress = false;
            while (a.deliverOne(b)) {
                b.device.processHandshakes(b.worker, b);
                progress = true;
            }
            while (b.deliverOne(a)) {
                a.device.processHandshakes(a.worker, a);
                progress = true;
            }
        }
    }

    /**
     * Establishes a session the way traffic does: A sends a packet, the handshake runs, the
     * staged packet and the confirming keepalive arrive at B. Throws if either side ends without
     * a confirmed session.
     */
    public void establishSession() {
        byte[] probe = tunBuffer(SamplePackets.udp4(TUNNEL_A, TUNNEL_B, 64 - SamplePackets.UDP4_HEADERS));
        sendFromA(probe, 64);
        pump();
        if (peerB.currentKeypair() == null || peerA.currentKeypair() == null) {
            throw new IllegalStateException("handshake did not complete: A " + peerB.currentKeypair()
                    + ", B " + peerA.currentKeypair() + "; A drops " + a.device.stats().dropsByReason()
                    + ", B drops " + b.device.stats().dropsByReason());
        }
    }
}
