package io.cryptun.noise.device;

import io.cryptun.noise.crypto.Keys;
import io.cryptun.noise.crypto.X25519Keys;
import io.cryptun.noise.handshake.IkHandshake;
import io.cryptun.noise.handshake.WireGuardNoise;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Handshake work done ahead, on the timer thread, instead of while a packet waits for it.
 *
 * <p>A first packet to a peer waits for a whole handshake: the initiator's message, the
 * responder's answer, the initiator's reading of it. Of the eight scalar multiplications in that
 * round, five depend only on keys known before the packet comes: each side's fresh ephemeral key
 * pair, the initiator's DH(e, S_responder) and the responder's DH(e, S_initiator). Measured in the
 * daemon (benchmarks/README.md, tenth session), they took a third of the handshake's time on each side.
 * So:
 * <ul>
 * <li>each peer that may initiate soon (it has an endpoint and the device is not large, or it just
 *     initiated) gets its next message A written up to the payload ({@link
 *     IkHandshake#writeMessageAPrefix}); sending an initiation then only encrypts the timestamp;
 * <li>the device keeps one fresh ephemeral key pair in stock for its next response, on a small
 *     device ({@link #SE_MAX_PEERS}) with DH(e, S_peer) for each of its peers.
 * </ul>
 *
 * <p>A prepared ephemeral key is used once, as one drawn at send time would be, and is zeroed
 * with its handshake; a prepared message A is dropped (zeroed) when the keys it was made with
 * change (our private key, the peer's removal). Only the pre-shared key enters later (message B),
 * so it is set when the initiation is sent.
 */
final class PreparedHandshakes {
    /** Peers prepared when configured; a device with more prepares only the peers that initiate. */
    static final int PREPARE_ON_CONFIG_MAX_PEERS = 256;
    /** At most this many preparations per tick: a setconf of many peers must not hold up timers. */
    static final int PER_TICK = 16;

    /** A spare ephemeral key is made with DH(e, S_peer) for each peer of a device this small. */
    static final int SE_MAX_PEERS = 8;

    /**
     * A fresh ephemeral key pair; for a spare, also DH(e, S_peer) for the peers it was made for
     * (the responder's "se", known before whose initiation comes). {@link #zero()} once used.
     */
    static final class KeyPair {
        private final byte[] privateKey;
        private final byte[] publicKey;
        private Peer[] sePeers = new Peer[0];
        private byte[][] se = new byte[0][];

        KeyPair(byte[] privateKey, byte[] publicKey) {
            this.privateKey = privateKey;
            this.publicKey = publicKey;
        }

        byte[] privateKey() {
            return privateKey;
        }

        byte[] publicKey() {
            return publicKey;
        }

        /** DH(e, S_peer) made ahead for this peer, or null. */
        byte[] seFor(Peer peer) {
            for (int i = 0; i < sePeers.length; i++) {
                if (sePeers[i] == peer) {
                    return se[i];
                }
            }
            return null;
        }

        void zero() {
            Keys.zero(privateKey);
            for (byte[] s : se) {
                Keys.zero(s);
            }
        }
    }

    /**
     * How long after a handshake message the next one's preparation waits: the handshake in flight
     * (the peer's answer, the packets that waited) then has the cores to itself. The next message
     * is a retry 5 s later at the earliest.
     */
    static final long AFTER_USE_DELAY_NANOS = 1_000_000_000L;

    private final Device device;
    private final ConcurrentLinkedQueue<Peer> wanted = new ConcurrentLinkedQueue<>();
    private final AtomicReference<KeyPair> spare = new AtomicReference<>();
    /** When the next preparation is due (monotonic clock); Long.MAX_VALUE when none is. */
    private final AtomicLong dueAt = new AtomicLong(Long.MAX_VALUE);

    PreparedHandshakes(Device device) {
        this.device = device;
    }

    /** A peer was configured (endpoint set, keys changed): prepare its initiation now, if worth it. */
    void configured(Peer peer) {
        if (peer.endpoint() != null && device.peerCount() <= PREPARE_ON_CONFIG_MAX_PEERS) {
            want(peer, device.clock.nanoTime());
        }
        KeyPair k = spare.get();
        if (k != null && device.peerCount() <= SE_MAX_PEERS && k.seFor(peer) == null && spare.compareAndSet(k, null)) {
            // made before this peer was: a new spare with its DH(e, S_peer) too
            k.zero();
            due(device.clock.nanoTime());
        }
    }

    /** The peer just sent an initiation: its next one is prepared a while later. */
    void initiationSent(Peer peer, long now) {
        want(peer, now + AFTER_USE_DELAY_NANOS);
    }

    /** The device's key pair is set: a spare ephemeral key for its first response, now. */
    void identitySet() {
        due(device.clock.nanoTime());
    }

    /** A response took the spare ephemeral key: the next is made a while later. */
    void responseSent(long now) {
        due(now + AFTER_USE_DELAY_NANOS);
    }

    private void want(Peer peer, long at) {
        synchronized (peer) {
            if (peer.handshake.preparationWanted || peer.handshake.prepared != null) {
                return;
            }
            peer.handshake.preparationWanted = true;
        }
        wanted.add(peer);
        due(at);
    }

    private void due(long at) {
        if (dueAt.getAndAccumulate(at, Math::min) > at) {
            device.timerQueue.wake();
        }
    }

    /** When {@link #run} next has work; Long.MAX_VALUE when never. */
    long dueAt() {
        return dueAt.get();
    }

    /** Does up to {@link #PER_TICK} preparations when due; the timer thread calls it after the timers. */
    void run(long now) {
        if (now - dueAt.get() < 0) {
            return;
        }
        dueAt.set(Long.MAX_VALUE);
        if (spare.get() == null && device.identity != null) {
            KeyPair k = newKeyPair();
            if (device.peerCount() <= SE_MAX_PEERS) {
                withSe(k, device.peers());
            }
            if (!spare.compareAndSet(null, k)) {
                k.zero();
            }
        }
        for (int i = 0; i < PER_TICK; i++) {
            Peer p = wanted.poll();
            if (p == null) {
                return;
            }
            prepare(p);
        }
        if (!wanted.isEmpty()) {
            due(now);
        }
    }

    /** The spare ephemeral key pair, or a new one made now. */
    KeyPair takeEphemeral() {
        KeyPair k = spare.getAndSet(null);
        return k != null ? k : newKeyPair();
    }

    private static void withSe(KeyPair k, java.util.List<Peer> peers) {
        Peer[] ps = new Peer[peers.size()];
        byte[][] dhs = new byte[ps.length][];
        int n = 0;
        for (Peer p : peers) {
            byte[] dh = new byte[32];
            if (X25519Keys.sharedSecret(k.privateKey, k.publicKey, p.publicKey(), dh)) {
                ps[n] = p;
                dhs[n++] = dh;
            }
        }
        k.sePeers = java.util.Arrays.copyOf(ps, n);
        k.se = java.util.Arrays.copyOf(dhs, n);
    }

    KeyPair newKeyPair() {
        byte[] priv = X25519Keys.generatePrivate(device.random);
        return new KeyPair(priv, X25519Keys.publicFromPrivate(priv));
    }

    /**
     * Takes the peer's prepared initiation (under the peer's lock), or null. Its prefix bytes are
     * written to {@code msg} at {@code off}.
     */
    IkHandshake takeInitiation(Peer peer, byte[] msg, int off) {
        PeerHandshake h = peer.handshake;
        IkHandshake hs = h.prepared;
        if (hs == null) {
            return null;
        }
        System.arraycopy(h.preparedPrefix, 0, msg, off, IkHandshake.MESSAGE_A_PREFIX);
        h.prepared = null;
        return hs;
    }

    private void prepare(Peer peer) {
        Device.Identity id;
        byte[] ss = new byte[32];
        byte[] psk;
        int version;
        synchronized (peer) {
            peer.handshake.preparationWanted = false;
            id = device.identity;
            if (peer.removed || id == null || !peer.handshake.staticStaticValid || peer.handshake.prepared != null) {
                return;
            }
            System.arraycopy(peer.handshake.precomputedStaticStatic, 0, ss, 0, 32);
            version = peer.handshake.keysVersion;
            psk = peer.presharedKey();
        }
        // the scalar multiplications outside the peer's lock: its packets do not wait for them
        IkHandshake hs = IkHandshake.initiator(WireGuardNoise.initialState(), psk, id.privateKey(), id.publicKey(),
                peer.publicKey()).withStaticKey(id.staticKey());
        Keys.zero(psk);
        KeyPair e = newKeyPair();
        // the response's two agreements with e then find it in libcrypto already (see AgreementKey)
        hs.withEphemeralKey(X25519Keys.AgreementKey.of(e.privateKey(), e.publicKey()));
        byte[] prefix = new byte[IkHandshake.MESSAGE_A_PREFIX];
        int n = hs.writeMessageAPrefix(e.privateKey(), e.publicKey(), ss, prefix, 0);
        e.zero();
        Keys.zero(ss);
        synchronized (peer) {
            if (n == IkHandshake.MESSAGE_A_PREFIX && !peer.removed && peer.handshake.keysVersion == version
                    && peer.handshake.prepared == null) {
                peer.handshake.prepared = hs;
                peer.handshake.preparedPrefix = prefix;
                return;
            }
        }
        hs.destroy();
    }
}
