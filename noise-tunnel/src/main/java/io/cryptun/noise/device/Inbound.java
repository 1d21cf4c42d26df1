package io.cryptun.noise.device;

import io.cryptun.noise.allowedips.AllowedIps;
import io.cryptun.noise.cookie.CookieChecker;
import io.cryptun.noise.session.IndexTable;
import io.cryptun.noise.session.Keypair;
import io.cryptun.noise.wire.CookieReplyMessage;
import io.cryptun.noise.wire.InitiationMessage;
import io.cryptun.noise.wire.MessageType;
import io.cryptun.noise.wire.ResponseMessage;
import io.cryptun.noise.wire.TransportMessage;
import java.net.InetSocketAddress;
import java.util.Arrays;

/**
 * What a {@link Device} receives, as wireguard-go's receive.go: transport messages decrypted in
 * place (allocation-free) and written to the TUN device, and handshake messages checked, queued
 * or handled at once, and handed to {@link Handshakes}.
 */
final class Inbound {
    private final Device device;
    private final Handshakes handshakes;
    private final Outbound outbound;
    private final LoadGuard loadGuard;
    private final Clock clock;
    private final Stats stats;
    private final IndexTable<Object> indices;
    private final AllowedIps<Peer> allowedIps;
    private final CookieChecker cookieChecker;
    private final HandshakeQueue handshakeQueue;
    private final boolean inlineHandshakes;

    Inbound(Device device, Handshakes handshakes, Outbound outbound, LoadGuard loadGuard, boolean inlineHandshakes) {
        this.device = device;
        this.handshakes = handshakes;
        this.outbound = outbound;
        this.loadGuard = loadGuard;
        this.clock = device.clock;
        this.stats = device.stats;
        this.indices = device.indices;
        this.allowedIps = device.allowedIps;
        this.cookieChecker = device.cookieChecker;
        this.handshakeQueue = device.handshakeQueue;
        this.inlineHandshakes = inlineHandshakes;
    }

    /** See {@link Device#receive}. */
    void receive(Worker w, byte[] buf, int off, int len, InetSocketAddress from, PacketSink out) {
        if (!device.up) {
            stats.drop(DropReason.INTERFACE_DOWN);
            return;
        }
        int type = MessageType.of(buf, off, len);
        switch (type) {
            case MessageType.TRANSPORT:
                receiveTransport(w, buf, off, len, from, out);
                return;
            case MessageType.INITIATION:
                receiveHandshake(w, buf, off, len, InitiationMessage.SIZE, from, out);
                return;
            case MessageType.RESPONSE:
                receiveHandshake(w, buf, off, len, ResponseMessage.SIZE, from, out);
                return;
            case MessageType.COOKIE_REPLY:
                if (len != CookieReplyMessage.SIZE) {
                    stats.drop(DropReason.BAD_SIZE);
                    return;
                }
                if (inlineHandshakes) {
                    // one XChaCha20-Poly1305 open: cheap enough for the receiving thread, and the
                    // retry it may cause should not wait for another thread
                    consumeCookieReply(w, Arrays.copyOfRange(buf, off, off + len), out, clock.nanoTime());
                    return;
                }
                enqueueHandshake(buf, off, len, from, false);
                return;
            default:
                stats.drop(DropReason.UNKNOWN_TYPE);
        }
    }

    // ================================================================ transport data: UDP -> TUN

    private void receiveTransport(Worker w, byte[] buf, int off, int len, InetSocketAddress from, PacketSink out) {
        if (len < TransportMessage.MIN_SIZE) {
            stats.drop(DropReason.BAD_SIZE);
            return;
        }
        Object entry = indices.get(TransportMessage.receiver(buf, off));
        if (!(entry instanceof Keypair)) {
            stats.drop(DropReason.UNKNOWN_INDEX);
            return;
        }
        Keypair kp = (Keypair) entry;
        long now = clock.nanoTime();
        if (now - kp.createdAt() >= Protocol.REJECT_AFTER_TIME) {
            stats.drop(DropReason.EXPIRED_KEYPAIR);
            return;
        }
        long counter = TransportMessage.counter(buf, off);
        int plain = w.cipher.open(kp.receiveKey(), counter, buf, off + TransportMessage.HEADER_SIZE,
                len - TransportMessage.HEADER_SIZE);
        if (plain < 0) {
            stats.drop(DropReason.DECRYPT_FAILED);
            return;
        }
        if (kp.isRetired()) {
            stats.drop(DropReason.EXPIRED_KEYPAIR);
            return;
        }
        if (!kp.acceptReceived(counter)) {
            stats.drop(DropReason.REPLAY);
            return;
        }
        Peer peer = (Peer) kp.owner();
        if (peer.confirmKeypair(kp)) {
            peer.timers.handshakeComplete(clock.unixNanos());
            outbound.sendStaged(peer, w, out, now);
        }
        peer.setEndpointFromPacket(from);
        peer.rxBytes.addAndGet(len);
        keepKeyFreshReceiving(peer, w, out, now);
        peer.timers.anyAuthenticatedPacketTraversal(now);
        peer.timers.anyAuthenticatedPacketReceived();
        if (plain == 0) {
            stats.event(Stats.Event.KEEPALIVE_RECEIVED);
            return;
        }
        peer.timers.dataReceived(now);
        int ipOff = off + TransportMessage.HEADER_SIZE;
        int ipLen = InnerPacket.declaredLength(buf, ipOff, plain);
        if (ipLen < 0) {
            stats.drop(DropReason.BAD_INNER_PACKET);
            return;
        }
        Peer allowed = InnerPacket.version(buf, ipOff, plain) == 4
                ? allowedIps.lookup(buf, ipOff + InnerPacket.IPV4_SRC, 4)
                : allowedIps.lookup(buf, ipOff + InnerPacket.IPV6_SRC, 16);
        if (allowed != peer) {
            stats.drop(DropReason.SOURCE_NOT_ALLOWED);
            return;
        }
        out.writeTun(buf, ipOff, ipLen);
    }

    /** The initiator rekeys once when its session nears REJECT_AFTER_TIME while still receiving. */
    private void keepKeyFreshReceiving(Peer peer, Worker w, PacketSink out, long now) {
        if (peer.timers.sentLastMinuteHandshake) {
            return;
        }
        Keypair kp = peer.current;
        if (kp != null && kp.isInitiator() && now - kp.createdAt() > Protocol.REKEY_ON_RECEIVE_AFTER) {
            peer.timers.sentLastMinuteHandshake = true;
            outbound.sendHandshakeInitiation(peer, false, w, out, now);
        }
    }

    // ================================================================ handshake messages

    /**
     * The cheap checks of an initiation or response run on the receiving thread, so that only
     * messages worth a Diffie-Hellman wait in the bounded handshake queue: one without a valid
     * mac1 is dropped here, and under load one without a valid mac2 is answered with a cookie
     * reply here, and one from a source over its rate is dropped here. A flood therefore cannot
     * fill the queue ahead of a legitimate peer's message, which would be dropped there and
     * retried only 5 s later; each flood message costs two or three BLAKE2s and, under load, one
     * small AEAD seal.
     */
    private void receiveHandshake(Worker w, byte[] buf, int off, int len, int size, InetSocketAddress from,
                                  PacketSink out) {
        if (len != size) {
            stats.drop(DropReason.BAD_SIZE);
            return;
        }
        if (!cookieChecker.checkMac1(buf, off, len)) {
            stats.drop(DropReason.INVALID_MAC1);
            return;
        }
        long now = clock.nanoTime();
        boolean admitted = false;
        if (loadGuard.isUnderLoad(now)) {
            loadGuard.noteArrivalUnderLoad(now);
            if (!loadGuard.admitUnderLoad(w, buf, off, len, from, out, now)) {
                return;
            }
            admitted = true;
        } else if (inlineHandshakes && handshakeQueue.size() == 0 && loadGuard.takeInlineToken(now)) {
            // no load: the Diffie-Hellman work here, now, saves two thread hand-offs per handshake
            // (the first packet's latency); under load everything goes through the bounded queue
            processHandshake(w, new HandshakeQueue.Item(Arrays.copyOfRange(buf, off, off + len), from, true), out);
            return;
        }
        enqueueHandshake(buf, off, len, from, admitted);
    }

    private void enqueueHandshake(byte[] buf, int off, int len, InetSocketAddress from, boolean admitted) {
        if (!handshakeQueue.offer(new HandshakeQueue.Item(Arrays.copyOfRange(buf, off, off + len), from, admitted))) {
            stats.drop(DropReason.HANDSHAKE_QUEUE_FULL);
        }
    }

    /** See {@link Device#processHandshakes}. */
    int processHandshakes(Worker w, PacketSink out) {
        int n = 0;
        HandshakeQueue.Item item;
        while ((item = handshakeQueue.poll()) != null) {
            processHandshake(w, item, out);
            n++;
        }
        return n;
    }

    /** See {@link Device#processHandshake}. */
    void processHandshake(Worker w, HandshakeQueue.Item item, PacketSink out) {
        if (!device.up) {
            stats.drop(DropReason.INTERFACE_DOWN);
            return;
        }
        long now = clock.nanoTime();
        byte[] msg = item.message();
        int type = MessageType.of(msg, 0, msg.length);
        if (type == MessageType.COOKIE_REPLY) {
            consumeCookieReply(w, msg, out, now);
            return;
        }
        if (!item.admitted()) {
            // queued before the load came (or handed in directly): check as on receipt
            if (!cookieChecker.checkMac1(msg, 0, msg.length)) {
                stats.drop(DropReason.INVALID_MAC1);
                return;
            }
            if (loadGuard.isUnderLoad(now) && !loadGuard.admitUnderLoad(w, msg, 0, msg.length, item.from(), out, now)) {
                return;
            }
        }
        if (type == MessageType.INITIATION) {
            Peer peer = handshakes.consumeInitiation(msg, item.from(), now);
            if (peer != null) {
                outbound.sendHandshakeResponse(peer, w, out, now);
            }
        } else if (type == MessageType.RESPONSE) {
            Peer peer = handshakes.consumeResponse(msg, item.from(), now);
            if (peer != null) {
                // confirms the session to the responder, which may not send before it hears from us
                outbound.sendKeepalive(peer, w, out, now);
            }
        }
    }

    private void consumeCookieReply(Worker w, byte[] msg, PacketSink out, long now) {
        Object entry = indices.get(CookieReplyMessage.receiver(msg, 0));
        Peer peer = entry instanceof Peer ? (Peer) entry : entry instanceof Keypair ? (Peer) ((Keypair) entry).owner() : null;
        if (peer == null || peer.removed || !peer.cookieGenerator.consumeReply(msg, 0, now)) {
            stats.drop(DropReason.INVALID_COOKIE);
            return;
        }
        stats.event(Stats.Event.COOKIE_REPLY_RECEIVED);
        // The responder is under load and dropped our initiation. Resend at once with mac2
        // instead of waiting for the 5 s retransmission (once per cookie).
        boolean retry;
        synchronized (peer) {
            retry = peer.handshake.state == HandshakeState.INITIATION_CREATED && !peer.handshake.cookieRetrySent;
            if (retry) {
                peer.handshake.cookieRetrySent = true;
            }
        }
        if (retry) {
            device.log(EventLog.Level.VERBOSE, peer, "got a cookie, retrying the handshake with mac2 now");
            outbound.sendInitiation(peer, true, true, w, out, now);
        }
    }
}
