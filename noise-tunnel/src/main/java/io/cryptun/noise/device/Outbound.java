package io.cryptun.noise.device;

import io.cryptun.noise.allowedips.AllowedIps;
import io.cryptun.noise.session.Keypair;
import io.cryptun.noise.wire.InitiationMessage;
import io.cryptun.noise.wire.ResponseMessage;
import io.cryptun.noise.wire.TransportMessage;
import java.net.InetSocketAddress;
import java.util.Arrays;

/**
 * What a {@link Device} sends, as wireguard-go's send.go: IP packets from the TUN device sealed
 * into transport messages (in place, allocation-free), packets staged until a session exists,
 * keepalives, and the handshake messages {@link Handshakes} builds.
 */
final class Outbound {
    private final Device device;
    private final Handshakes handshakes;
    private final Clock clock;
    private final Stats stats;
    private final AllowedIps<Peer> allowedIps;
    /** REKEY_AFTER_TIME, shorter only in soak tests (see the builder). */
    private final long rekeyAfterTime;

    Outbound(Device device, Handshakes handshakes, long rekeyAfterTime) {
        this.device = device;
        this.handshakes = handshakes;
        this.clock = device.clock;
        this.stats = device.stats;
        this.allowedIps = device.allowedIps;
        this.rekeyAfterTime = rekeyAfterTime;
    }

    // ================================================================ transport data: TUN -> UDP

    /** See {@link Device#sendPacket}. */
    void sendPacket(Worker w, byte[] buf, int off, int len, PacketSink out) {
        if (!device.up) {
            stats.drop(DropReason.INTERFACE_DOWN);
            return;
        }
        Peer peer;
        int version = InnerPacket.version(buf, off, len);
        if (version == 4 && len >= InnerPacket.IPV4_HEADER) {
            peer = allowedIps.lookup(buf, off + InnerPacket.IPV4_DST, 4);
        } else if (version == 6 && len >= InnerPacket.IPV6_HEADER) {
            peer = allowedIps.lookup(buf, off + InnerPacket.IPV6_DST, 16);
        } else {
            stats.drop(DropReason.BAD_OUTBOUND_PACKET);
            return;
        }
        if (peer == null) {
            stats.drop(DropReason.NO_ROUTE);
            return;
        }
        sendData(peer, w, buf, off, len, out, clock.nanoTime());
    }

    private void sendData(Peer peer, Worker w, byte[] buf, int off, int len, PacketSink out, long now) {
        Keypair kp = peer.current;
        if (peer.stagedCount == 0 && kp != null && usableForSending(kp, now)) {
            long counter = kp.nextSendCounter();
            if (!Protocol.counterAtOrPast(counter, Protocol.REJECT_AFTER_MESSAGES)) {
                sealAndSend(peer, kp, counter, w, buf, off, len, out, now);
                keepKeyFreshSending(peer, kp, counter, w, out, now);
                return;
            }
            kp.stopSending();
        }
        peer.stage(buf, off, len);
        sendStaged(peer, w, out, now);
    }

    private boolean sealAndSend(Peer peer, Keypair kp, long counter, Worker w, byte[] buf, int off, int len,
                                PacketSink out, long now) {
        InetSocketAddress to = peer.endpoint();
        if (to == null) {
            stats.drop(DropReason.NO_ENDPOINT);
            return false;
        }
        int padded = TransportMessage.paddedLength(len, device.mtu);
        Arrays.fill(buf, off + len, off + padded, (byte) 0);
        TransportMessage.writeHeader(buf, off - TransportMessage.HEADER_SIZE, kp.remoteIndex(), counter);
        peer.timers.anyAuthenticatedPacketTraversal(now);
        int sealed = w.cipher.seal(kp.sendKey(), counter, buf, off, padded);
        if (kp.isRetired()) {
            // keys were zeroed while sealing: this ciphertext must never leave
            return false;
        }
        peer.timers.anyAuthenticatedPacketSent();
        // armed before the datagram leaves: the answer may be processed on another thread before
        // the send returns, and its "heard back" must find this timer to cancel
        if (len > 0) {
            peer.timers.dataSent(now);
        }
        int total = TransportMessage.HEADER_SIZE + sealed;
        boolean ok = out.sendDatagram(to, buf, off - TransportMessage.HEADER_SIZE, total);
        if (ok) {
            peer.txBytes.addAndGet(total);
        } else {
            stats.drop(DropReason.SEND_FAILED);
        }
        if (len == 0) {
            stats.event(Stats.Event.KEEPALIVE_SENT);
        }
        return ok;
    }

    /** Sends what waited for a session, or starts a handshake when there is none. */
    void sendStaged(Peer peer, Worker w, PacketSink out, long now) {
        Keypair used = null;
        long lastCounter = 0;
        synchronized (peer) {
            if (peer.stagedCount == 0) {
                return;
            }
            Keypair kp = peer.current;
            if (kp == null || !usableForSending(kp, now)) {
                sendHandshakeInitiation(peer, false, w, out, now);
                return;
            }
            byte[] p;
            while ((p = peer.pollStaged()) != null) {
                long counter = kp.nextSendCounter();
                if (Protocol.counterAtOrPast(counter, Protocol.REJECT_AFTER_MESSAGES)) {
                    kp.stopSending();
                    peer.unpollStaged(p);
                    sendHandshakeInitiation(peer, false, w, out, now);
                    return;
                }
                System.arraycopy(p, 0, w.scratch, Protocol.HEADROOM, p.length);
                sealAndSend(peer, kp, counter, w, w.scratch, Protocol.HEADROOM, p.length, out, now);
                used = kp;
                lastCounter = counter;
            }
        }
        if (used != null) {
            keepKeyFreshSending(peer, used, lastCounter, w, out, now);
        }
    }

    /** Usable for sending: not retired, younger than REJECT_AFTER_TIME, counter below the limit. */
    private static boolean usableForSending(Keypair kp, long now) {
        return !kp.isRetired() && now - kp.createdAt() < Protocol.REJECT_AFTER_TIME
                && !Protocol.counterAtOrPast(kp.sendCounter(), Protocol.REJECT_AFTER_MESSAGES);
    }

    /** The initiator rekeys after REKEY_AFTER_TIME; either side after REKEY_AFTER_MESSAGES. */
    private void keepKeyFreshSending(Peer peer, Keypair kp, long counter, Worker w, PacketSink out, long now) {
        if (Long.compareUnsigned(counter, Protocol.REKEY_AFTER_MESSAGES) > 0
                || (kp.isInitiator() && now - kp.createdAt() > rekeyAfterTime)) {
            sendHandshakeInitiation(peer, false, w, out, now);
        }
    }

    /** An empty transport message (or, without a session, a handshake and a staged keepalive). */
    void sendKeepalive(Peer peer, Worker w, PacketSink out, long now) {
        if (peer.stagedCount == 0) {
            sendData(peer, w, w.scratch, Protocol.HEADROOM, 0, out, now);
        } else {
            sendStaged(peer, w, out, now);
        }
    }

    // ================================================================ handshake messages

    /**
     * Sends a handshake initiation unless one went out less than REKEY_TIMEOUT ago (at most one
     * handshake in flight per peer). {@code isRetry} keeps the attempt count (timer retries).
     */
    void sendHandshakeInitiation(Peer peer, boolean isRetry, Worker w, PacketSink out, long now) {
        sendInitiation(peer, isRetry, false, w, out, now);
    }

    /** {@code forCookie}: the retry a cookie reply asks for, sent at once (with mac2). */
    void sendInitiation(Peer peer, boolean isRetry, boolean forCookie, Worker w, PacketSink out, long now) {
        if (peer.removed) {
            return;
        }
        byte[] msg = w.handshake;
        synchronized (peer) {
            if (!isRetry) {
                peer.timers.handshakeAttempts = 0;
            }
            if (!forCookie && now - peer.handshake.lastSentHandshake < Protocol.REKEY_TIMEOUT) {
                if (isRetry) {
                    // A retransmission came due less than REKEY_TIMEOUT after another handshake message
                    // (say our response to the peer's crossing initiation). wireguard-go drops it and,
                    // with no traffic, the tunnel then waits for a keepalive; we retry when it may go.
                    peer.timers.rearmRetransmit(peer.handshake.lastSentHandshake + Protocol.REKEY_TIMEOUT);
                }
                return;
            }
            peer.handshake.lastSentHandshake = now;
            if (!handshakes.createInitiation(peer, msg, now)) {
                return;
            }
            peer.cookieGenerator.addMacs(msg, 0, InitiationMessage.SIZE, now);
        }
        device.log(EventLog.Level.VERBOSE, peer, "sending handshake initiation");
        peer.timers.anyAuthenticatedPacketTraversal(now);
        peer.timers.anyAuthenticatedPacketSent();
        // armed before the initiation leaves: the response may complete the handshake on another
        // thread before the send returns, and completion must find this timer to cancel
        peer.timers.handshakeInitiated(now);
        transmit(peer, msg, InitiationMessage.SIZE, out);
        stats.event(Stats.Event.INITIATION_SENT);
        // the retry, or the next rekey, finds its message A written
        device.prepared.initiationSent(peer, now);
    }

    /** Answers the initiation just consumed, and begins the session as its responder. */
    void sendHandshakeResponse(Peer peer, Worker w, PacketSink out, long now) {
        byte[] msg = w.handshake;
        synchronized (peer) {
            peer.handshake.lastSentHandshake = now;
            if (!handshakes.createResponse(peer, msg)) {
                return;
            }
            peer.cookieGenerator.addMacs(msg, 0, ResponseMessage.SIZE, now);
            handshakes.beginSymmetricSession(peer, now);
        }
        peer.timers.sessionDerived(now);
        peer.timers.anyAuthenticatedPacketTraversal(now);
        peer.timers.anyAuthenticatedPacketSent();
        transmit(peer, msg, ResponseMessage.SIZE, out);
        device.prepared.responseSent(now);
        stats.event(Stats.Event.RESPONSE_SENT);
    }

    private void transmit(Peer peer, byte[] msg, int len, PacketSink out) {
        InetSocketAddress to = peer.endpoint();
        if (to == null) {
            stats.drop(DropReason.NO_ENDPOINT);
            return;
        }
        if (out.sendDatagram(to, msg, 0, len)) {
            peer.txBytes.addAndGet(len);
        } else {
            stats.drop(DropReason.SEND_FAILED);
        }
    }
}
