package io.cryptun.noise.device;

import io.cryptun.noise.crypto.Keys;
import io.cryptun.noise.crypto.X25519Keys;
import io.cryptun.noise.handshake.IkHandshake;
import io.cryptun.noise.handshake.Tai64n;
import io.cryptun.noise.handshake.WireGuardNoise;
import io.cryptun.noise.session.IndexTable;
import io.cryptun.noise.session.Keypair;
import io.cryptun.noise.wire.InitiationMessage;
import io.cryptun.noise.wire.ResponseMessage;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The Noise IK handshake of a {@link Device}, as wireguard-go's noise-protocol.go: creating and
 * consuming initiations and responses, and deriving the session from a finished handshake. No IO
 * here: {@link Outbound} sends what is created, {@link Inbound} hands in what arrived and sends
 * the answer. Handshake state is guarded by the peer's monitor.
 */
final class Handshakes {
    private static final byte[] ZERO_KEY = new byte[32];
    private static final byte[] EMPTY = new byte[0];

    private final Device device;
    private final Clock clock;
    private final Stats stats;
    private final IndexTable<Object> indices;
    private final UnknownInitiators unknownInitiators = new UnknownInitiators();

    Handshakes(Device device) {
        this.device = device;
        this.clock = device.clock;
        this.stats = device.stats;
        this.indices = device.indices;
    }

    /** Precomputes the static-static DH with the peer for the current private key (under the peer's lock). */
    void computeStaticStatic(Peer p) {
        Device.Identity id = device.identity;
        byte[] ss = new byte[32];
        boolean ok = id != null && id.staticKey().agree(p.publicKey(), ss);
        p.handshake.setStaticStatic(ss, ok);
        Keys.zero(ss);
    }

    /** See {@link Device#initiatedBeforeItWasAPeer}. */
    boolean initiatedBeforeItWasAPeer(byte[] publicKey) {
        return unknownInitiators.take(publicKey, clock.nanoTime());
    }

    // ================================================================ messages we create

    /** Builds an initiation into msg (under the peer's lock). False when it cannot be made. */
    boolean createInitiation(Peer peer, byte[] msg, long now) {
        Device.Identity id = device.identity;
        if (id == null || !peer.handshake.staticStaticValid) {
            return false;
        }
        byte[] psk = peer.presharedKey();
        IkHandshake hs = device.prepared.takeInitiation(peer, msg, InitiationMessage.OFF_NOISE);
        int n;
        if (hs != null) {
            hs.setPsk(psk);
            n = 0;
        } else {
            hs = IkHandshake.initiator(WireGuardNoise.initialState(), psk, id.privateKey(), id.publicKey(),
                    peer.publicKey()).withStaticKey(id.staticKey());
            PreparedHandshakes.KeyPair e = device.prepared.newKeyPair();
            n = hs.writeMessageAPrefix(e.privateKey(), e.publicKey(), peer.handshake.precomputedStaticStatic,
                    msg, InitiationMessage.OFF_NOISE);
            e.zero();
        }
        Keys.zero(psk);
        if (n >= 0) {
            byte[] timestamp = Tai64n.of(clock.unixNanos());
            n = hs.writeMessageAPayload(timestamp, 0, Tai64n.LENGTH, msg, InitiationMessage.OFF_NOISE);
        }
        if (n != InitiationMessage.NOISE_LENGTH) {
            hs.destroy();
            return false;
        }
        forgetHandshakeIndex(peer);
        int index;
        try {
            index = indices.allocate(peer);
        } catch (IllegalStateException e) {
            hs.destroy();
            device.log(EventLog.Level.ERROR, "index table full: " + e.getMessage());
            return false;
        }
        InitiationMessage.writeHeader(msg, 0, index);
        peer.handshake.clear();
        peer.handshake.noise = hs;
        peer.handshake.localIndex = index;
        peer.handshake.state = HandshakeState.INITIATION_CREATED;
        return true;
    }

    /**
     * Builds the response to the consumed initiation into msg (under the peer's lock). False when
     * there is no consumed initiation or the response cannot be made.
     */
    boolean createResponse(Peer peer, byte[] msg) {
        if (peer.handshake.state != HandshakeState.INITIATION_CONSUMED) {
            return false;
        }
        forgetHandshakeIndex(peer);
        int index;
        try {
            index = indices.allocate(peer);
        } catch (IllegalStateException e) {
            device.log(EventLog.Level.ERROR, "index table full: " + e.getMessage());
            return false;
        }
        ResponseMessage.writeHeader(msg, 0, index, peer.handshake.remoteIndex);
        PreparedHandshakes.KeyPair e = device.prepared.takeEphemeral();
        int n = peer.handshake.noise.writeMessageB(e.privateKey(), e.publicKey(), e.seFor(peer), EMPTY, 0, 0, msg,
                ResponseMessage.OFF_NOISE);
        e.zero();
        peer.handshake.localIndex = index;
        if (n != ResponseMessage.NOISE_LENGTH) {
            forgetHandshakeIndex(peer);
            peer.handshake.clear();
            return false;
        }
        peer.handshake.state = HandshakeState.RESPONSE_CREATED;
        return true;
    }

    // ================================================================ messages we consume

    /**
     * Consumes an initiation that passed the MAC checks. Returns the peer, whose response is now
     * due, or null when the initiation is dropped.
     */
    Peer consumeInitiation(byte[] msg, InetSocketAddress from, long now) {
        Device.Identity id = device.identity;
        if (id == null) {
            stats.drop(DropReason.INVALID_HANDSHAKE);
            return null;
        }
        IkHandshake hs = IkHandshake.responderAfterPremessage(WireGuardNoise.responderState(id.responderHash()), ZERO_KEY,
                id.privateKey(), id.publicKey()).withStaticKey(id.staticKey());
        byte[] initiatorStatic = hs.readMessageAStatic(msg, InitiationMessage.OFF_NOISE, InitiationMessage.NOISE_LENGTH);
        Peer peer = initiatorStatic == null ? null : device.peer(initiatorStatic);
        if (peer == null || peer.removed) {
            if (initiatorStatic != null) {
                unknownInitiators.note(initiatorStatic, now);
            }
            hs.destroy();
            stats.drop(DropReason.INVALID_HANDSHAKE);
            return null;
        }
        byte[] timestamp = new byte[Tai64n.LENGTH];
        synchronized (peer) {
            if (!peer.handshake.staticStaticValid) {
                hs.destroy();
                stats.drop(DropReason.INVALID_HANDSHAKE);
                return null;
            }
            byte[] psk = peer.presharedKey();
            hs.setPsk(psk);
            Keys.zero(psk);
            int n = hs.readMessageAPayload(peer.handshake.precomputedStaticStatic, msg, InitiationMessage.OFF_NOISE,
                    InitiationMessage.NOISE_LENGTH, timestamp, 0);
            if (n != Tai64n.LENGTH) {
                hs.destroy();
                stats.drop(DropReason.INVALID_HANDSHAKE);
                peer.handshakeFailed("initiation did not authenticate (the peer's static key pair mismatch?)",
                        clock.unixNanos());
                return null;
            }
            if (!Tai64n.isAfter(timestamp, peer.handshake.lastTimestamp)) {
                hs.destroy();
                stats.drop(DropReason.HANDSHAKE_REPLAY);
                return null;
            }
            if (now - peer.handshake.lastInitiationConsumed <= Protocol.HANDSHAKE_INITIATION_RATE) {
                hs.destroy();
                stats.drop(DropReason.HANDSHAKE_FLOOD);
                return null;
            }
            System.arraycopy(timestamp, 0, peer.handshake.lastTimestamp, 0, Tai64n.LENGTH);
            peer.handshake.lastInitiationConsumed = now;
            forgetHandshakeIndex(peer);
            peer.handshake.clear();
            peer.handshake.noise = hs;
            peer.handshake.remoteIndex = InitiationMessage.sender(msg, 0);
            peer.handshake.state = HandshakeState.INITIATION_CONSUMED;
        }
        stats.event(Stats.Event.INITIATION_RECEIVED);
        device.log(EventLog.Level.VERBOSE, peer, "received handshake initiation");
        peer.timers.anyAuthenticatedPacketTraversal(now);
        peer.timers.anyAuthenticatedPacketReceived();
        peer.setEndpointFromPacket(from);
        peer.rxBytes.addAndGet(msg.length);
        return peer;
    }

    /**
     * Consumes a response that passed the MAC checks and derives the session. Returns the peer,
     * which now owes the responder a confirming message, or null when the response is dropped.
     */
    Peer consumeResponse(byte[] msg, InetSocketAddress from, long now) {
        int receiver = ResponseMessage.receiver(msg, 0);
        Object entry = indices.get(receiver);
        if (!(entry instanceof Peer)) {
            stats.drop(DropReason.INVALID_HANDSHAKE);
            return null;
        }
        Peer peer = (Peer) entry;
        synchronized (peer) {
            PeerHandshake hs = peer.handshake;
            if (peer.removed || hs.state != HandshakeState.INITIATION_CREATED || hs.localIndex != receiver) {
                stats.drop(DropReason.INVALID_HANDSHAKE);
                return null;
            }
            // try on a copy: a forged response must not disturb the handshake in flight
            IkHandshake trial = hs.noise.copy();
            if (trial.readMessageB(msg, ResponseMessage.OFF_NOISE, ResponseMessage.NOISE_LENGTH, EMPTY, 0) != 0) {
                trial.destroy();
                trial = tryAlternativePresharedKeys(peer, msg);
            }
            if (trial == null) {
                stats.drop(DropReason.INVALID_HANDSHAKE);
                // it answered our initiation and knew our key (mac1), yet does not authenticate:
                // the two sides disagree on the pre-shared key (or the peer's key is not ours to use)
                peer.handshakeFailed("response did not authenticate (pre-shared keys differ?)", clock.unixNanos());
                return null;
            }
            hs.noise.destroy();
            hs.noise = trial;
            hs.remoteIndex = ResponseMessage.sender(msg, 0);
            hs.state = HandshakeState.RESPONSE_CONSUMED;
            beginSymmetricSession(peer, now);
        }
        stats.event(Stats.Event.RESPONSE_RECEIVED);
        device.log(EventLog.Level.VERBOSE, peer, "received handshake response");
        peer.setEndpointFromPacket(from);
        peer.rxBytes.addAndGet(msg.length);
        peer.timers.anyAuthenticatedPacketTraversal(now);
        peer.timers.anyAuthenticatedPacketReceived();
        peer.timers.sessionDerived(now);
        peer.timers.handshakeComplete(clock.unixNanos());
        return peer;
    }

    /**
     * Retries a response that did not authenticate with the peer's alternative pre-shared keys
     * (under the peer's lock); the one that works becomes the peer's key. Null when none does.
     */
    private IkHandshake tryAlternativePresharedKeys(Peer peer, byte[] msg) {
        for (byte[] psk : peer.alternativePresharedKeys()) {
            IkHandshake trial = peer.handshake.noise.copy();
            trial.setPsk(psk);
            if (trial.readMessageB(msg, ResponseMessage.OFF_NOISE, ResponseMessage.NOISE_LENGTH, EMPTY, 0) == 0) {
                List<byte[]> others = new ArrayList<>();
                others.add(peer.presharedKey());
                for (byte[] k : peer.alternativePresharedKeys()) {
                    if (!Arrays.equals(k, psk)) {
                        others.add(k);
                    }
                }
                peer.setPresharedKey(psk);
                peer.setAlternativePresharedKeys(others);
                device.log(EventLog.Level.INFO, peer + ": the peer uses another of our pre-shared keys; switched to it");
                Keys.zero(psk);
                return trial;
            }
            trial.destroy();
            Keys.zero(psk);
        }
        return null;
    }

    // ================================================================ sessions

    /** Derives the transport keys from the finished handshake and installs the keypair (under the peer's lock). */
    void beginSymmetricSession(Peer peer, long now) {
        PeerHandshake hs = peer.handshake;
        boolean initiator;
        if (hs.state == HandshakeState.RESPONSE_CONSUMED) {
            initiator = true;
        } else if (hs.state == HandshakeState.RESPONSE_CREATED) {
            initiator = false;
        } else {
            return;
        }
        byte[] i2r = new byte[32];
        byte[] r2i = new byte[32];
        hs.noise.split(i2r, r2i);
        Keypair kp = initiator
                ? new Keypair(peer, i2r, r2i, true, now, hs.localIndex, hs.remoteIndex, Protocol.REJECT_AFTER_MESSAGES)
                : new Keypair(peer, r2i, i2r, false, now, hs.localIndex, hs.remoteIndex, Protocol.REJECT_AFTER_MESSAGES);
        Keys.zero(i2r);
        Keys.zero(r2i);
        // the handshake's index now names the keypair
        indices.replace(hs.localIndex, peer, kp);
        hs.noise.destroy();
        hs.noise = null;
        hs.localIndex = 0;
        hs.state = HandshakeState.ZEROED;
        peer.installKeypair(kp);
        stats.event(Stats.Event.SESSION_ESTABLISHED);
        device.log(EventLog.Level.VERBOSE, peer, initiator ? "session established (initiator)" : "session established (responder)");
    }

    /** Frees the index of the handshake in progress, if it still names that handshake. */
    void forgetHandshakeIndex(Peer peer) {
        int idx = peer.handshake.localIndex;
        if (peer.handshake.state != HandshakeState.ZEROED) {
            indices.remove(idx, peer);
        }
    }

    void retireKeypair(Keypair kp) {
        if (kp != null) {
            indices.remove(kp.localIndex(), kp);
            kp.retire();
        }
    }
}
