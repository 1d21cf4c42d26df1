package io.cryptun.noise.device;

import io.cryptun.noise.allowedips.AllowedIps;
import io.cryptun.noise.cookie.CookieChecker;
import io.cryptun.noise.cookie.CookieReplyLimiter;
import io.cryptun.noise.cookie.RateLimiter;
import io.cryptun.noise.crypto.Keys;
import io.cryptun.noise.crypto.X25519Keys;
import io.cryptun.noise.handshake.IkHandshake;
import io.cryptun.noise.handshake.Tai64n;
import io.cryptun.noise.handshake.WireGuardNoise;
import io.cryptun.noise.session.IndexTable;
import io.cryptun.noise.wire.CookieReplyMessage;
import io.cryptun.noise.wire.InitiationMessage;
import io.cryptun.noise.wire.MessageType;
import io.cryptun.noise.wire.ResponseMessage;
import io.cryptun.noise.wire.TransportMessage;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A WireGuard interface without IO: the sans-IO protocol core. The IO shell feeds it IP packets
 * read from the TUN device ({@link #sendPacket}), datagrams read from the UDP socket
 * ({@link #receive}), queued handshake messages ({@link #processHandshakes}) and timer ticks
 * ({@link #tick}); the core answers through a {@link PacketSink}. Time comes from a {@link Clock},
 * randomness from a {@link SecureRandom}, so tests can drive it to the byte and the nanosecond.
 *
 * <p>Threads: any number of threads may call the packet, handshake and timer entry points, each
 * with its own {@link Worker}. Configuration calls are serialized internally.
 */
public final class Device {
    private static final byte[] ZERO_KEY = new byte[32];
    private static final byte[] EMPTY = new byte[0];

    final Clock clock;
    final SecureRandom random;
    final Jitter jitter;
    private final EventLog eventLog;
    final Stats stats = new Stats();
    final TimerQueue timerQueue = new TimerQueue();
    private final UnknownInitiators unknownInitiators = new UnknownInitiators();
    final HandshakeQueue handshakeQueue = new HandshakeQueue(Protocol.HANDSHAKE_QUEUE_SIZE);
    final CookieChecker cookieChecker;
    final RateLimiter rateLimiter;
    /** Issue 11: cookie replies per (IP, port) under load, so one flooding socket cannot take the receiving thread. */
    final CookieReplyLimiter cookieReplyLimiter = new CookieReplyLimiter();
    final IndexTable<Object> indices;
    final AllowedIps<Peer> allowedIps = new AllowedIps<>();
    private final Map<ByteBuffer, Peer> peers = new ConcurrentHashMap<>();
    private final AtomicLong peerSequence = new AtomicLong();
    private final Object configLock = new Object();
    private final int maxPeers;

    private record Identity(byte[] privateKey, byte[] publicKey) {
    }

    private volatile Identity identity;
    private volatile int mtu = 1420;
    private final boolean inlineHandshakes;
    /** REKEY_AFTER_TIME, shorter only in soak tests (see the builder). */
    private final long rekeyAfterTime;
    private volatile boolean up = true;
    private volatile long underLoadUntil = Long.MIN_VALUE;
    private final AtomicInteger arrivalsUnderLoad = new AtomicInteger();
    private volatile Boolean underLoadOverride;

    private Device(Builder b) {
        this.clock = b.clock;
        this.random = b.random;
        this.jitter = b.jitter != null ? b.jitter : Jitter.random(new Random(b.random.nextLong()));
        this.eventLog = b.eventLog;
        this.maxPeers = b.maxPeers;
        this.inlineHandshakes = b.inlineHandshakes;
        this.rekeyAfterTime = b.rekeyAfterTime;
        this.cookieChecker = new CookieChecker(random);
        this.rateLimiter = new RateLimiter();
        this.indices = new IndexTable<>(random::nextInt);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Construction options; every one has a production default. */
    public static final class Builder {
        private Clock clock = Clock.system();
        private SecureRandom random = new SecureRandom();
        private Jitter jitter;
        private EventLog eventLog = EventLog.SILENT;
        private int maxPeers = Protocol.MAX_PEERS;
        private boolean inlineHandshakes;
        private long rekeyAfterTime = Protocol.REKEY_AFTER_TIME;

        public Builder clock(Clock c) {
            clock = c;
            return this;
        }

        public Builder random(SecureRandom r) {
            random = r;
            return this;
        }

        public Builder jitter(Jitter j) {
            jitter = j;
            return this;
        }

        public Builder eventLog(EventLog l) {
            eventLog = l;
            return this;
        }

        /**
         * Handshake messages are handled on the receiving thread while the device is not under
         * load (the handshake queue is used only under load). Off by default: tests drive the
         * queue explicitly; the daemon turns it on for first-packet latency.
         */
        public Builder inlineHandshakes(boolean on) {
            inlineHandshakes = on;
            return this;
        }

        /**
         * For soak tests only: the initiator rekeys after this long instead of 120 s, so hours of
         * rekeying fit into minutes. Not below REKEY_TIMEOUT, not above REKEY_AFTER_TIME.
         */
        public Builder rekeyAfterTimeForTesting(long nanos) {
            if (nanos < Protocol.REKEY_TIMEOUT || nanos > Protocol.REKEY_AFTER_TIME) {
                throw new IllegalArgumentException("rekey interval must lie between 5 and 120 seconds");
            }
            rekeyAfterTime = nanos;
            return this;
        }

        public Builder maxPeers(int n) {
            maxPeers = n;
            return this;
        }

        public Device build() {
            return new Device(this);
        }
    }

    // ================================================================ configuration

    /** Sets (or with null / all zeros, removes) the interface's private key, as `wg set private-key` does. */
    public void setPrivateKey(byte[] privateKey) {
        synchronized (configLock) {
            Identity old = identity;
            if (privateKey == null || Keys.isZero(privateKey)) {
                if (old == null) {
                    return;
                }
                identity = null;
                cookieChecker.init(null);
            } else {
                if (privateKey.length != 32) {
                    throw new IllegalArgumentException("private key must be 32 bytes");
                }
                if (old != null && Arrays.equals(old.privateKey, privateKey)) {
                    return;
                }
                byte[] priv = privateKey.clone();
                byte[] pub = X25519Keys.publicFromPrivate(priv);
                // a peer with our own public key would be ourselves: wg removes it
                Peer self = peers.get(ByteBuffer.wrap(pub));
                if (self != null) {
                    removePeer(self);
                }
                identity = new Identity(priv, pub);
                cookieChecker.init(pub);
            }
            if (old != null) {
                Keys.zero(old.privateKey);
            }
            for (Peer p : peers.values()) {
                synchronized (p) {
                    computeStaticStatic(p);
                }
                p.expireCurrentKeypairs();
            }
        }
    }

    public byte[] privateKey() {
        Identity id = identity;
        return id == null ? null : id.privateKey.clone();
    }

    public byte[] publicKey() {
        Identity id = identity;
        return id == null ? null : id.publicKey.clone();
    }

    /**
     * Adds a peer. Returns null when the key is this interface's own public key (wg silently
     * ignores such a peer). Throws when the peer exists or the peer limit is reached.
     */
    public Peer addPeer(byte[] publicKey) {
        if (publicKey == null || publicKey.length != 32) {
            throw new IllegalArgumentException("public key must be 32 bytes");
        }
        synchronized (configLock) {
            Identity id = identity;
            if (id != null && Arrays.equals(id.publicKey, publicKey)) {
                return null;
            }
            ByteBuffer key = ByteBuffer.wrap(publicKey.clone());
            if (peers.containsKey(key)) {
                throw new IllegalStateException("peer exists");
            }
            if (peers.size() >= maxPeers) {
                throw new IllegalStateException("too many peers (limit " + maxPeers + ")");
            }
            Peer p = new Peer(this, publicKey, peerSequence.incrementAndGet());
            synchronized (p) {
                computeStaticStatic(p);
            }
            peers.put(key, p);
            return p;
        }
    }

    public Peer peer(byte[] publicKey) {
        return publicKey == null ? null : peers.get(ByteBuffer.wrap(publicKey));
    }

    /** All peers, in the order they were added. */
    public List<Peer> peers() {
        List<Peer> l = new ArrayList<>(peers.values());
        l.sort(Comparator.comparingLong(p -> p.sequence));
        return l;
    }

    public int peerCount() {
        return peers.size();
    }

    /** Removes a peer, its allowed IPs, its sessions (zeroed) and its queued packets. */
    public void removePeer(Peer peer) {
        synchronized (configLock) {
            if (peers.remove(ByteBuffer.wrap(peer.publicKey()), peer)) {
                peer.removed = true;
                peer.timers.stop();
                allowedIps.removeAll(peer);
                peer.zeroAndFlushAll();
                peer.forgetSecrets();
            }
        }
    }

    public void removeAllPeers() {
        synchronized (configLock) {
            for (Peer p : peers()) {
                removePeer(p);
            }
        }
    }

    /** The cryptokey routing table: insert prefixes here to allow them for a peer. */
    public AllowedIps<Peer> allowedIps() {
        return allowedIps;
    }

    /**
     * Follows the interface's link state, as wireguard-go and the kernel do: while down, nothing is
     * sent or received, timers are stopped and every session is dropped (keys zeroed); on the way up,
     * peers with a persistent keepalive send one at once. Configuration works either way.
     */
    public void setUp(boolean nowUp) {
        synchronized (configLock) {
            if (up == nowUp) {
                return;
            }
            up = nowUp;
            long now = clock.nanoTime();
            for (Peer p : peers()) {
                if (!nowUp) {
                    p.timers.stop();
                    p.zeroAndFlushAll();
                } else if (p.persistentKeepaliveSeconds() > 0) {
                    p.timers.armPersistentKeepaliveNow(now);
                }
            }
            log(EventLog.Level.VERBOSE, "interface is " + (nowUp ? "up" : "down"));
        }
    }

    public boolean isUp() {
        return up;
    }

    /** The TUN MTU, which caps padding (a full-MTU packet is not padded past it). */
    public void setMtu(int mtu) {
        this.mtu = mtu;
    }

    public int mtu() {
        return mtu;
    }

    public Stats stats() {
        return stats;
    }

    public Clock clock() {
        return clock;
    }

    /** The queue the handshake worker drains; see {@link #processHandshake}. */
    public HandshakeQueue handshakeQueue() {
        return handshakeQueue;
    }

    /** Forces (true/false) or releases (null) the "under load" state; for tests and diagnostics. */
    public void overrideUnderLoad(Boolean underLoad) {
        underLoadOverride = underLoad;
    }

    /** Called whenever a new earliest timer deadline is queued: the IO shell wakes its timer thread. */
    public void onTimerDeadlineChanged(Runnable r) {
        timerQueue.onEarlierDeadline(r);
    }

    private void computeStaticStatic(Peer p) {
        Identity id = identity;
        byte[] ss = new byte[32];
        boolean ok = id != null && X25519Keys.sharedSecret(id.privateKey, p.publicKey(), ss);
        p.handshake.setStaticStatic(ss, ok);
        Keys.zero(ss);
    }

    void log(EventLog.Level level, String message) {
        eventLog.log(level, message);
    }

    // ================================================================ outbound: TUN -> UDP

    /**
     * Encrypts and sends one IP packet read from the TUN device, to the peer whose allowed IPs
     * hold its destination. buf[off, off+len) is the packet; the caller leaves
     * {@link Protocol#HEADROOM} bytes before it and {@link Protocol#TAILROOM} after it, so the
     * packet is framed and sealed in place.
     */
    public void sendPacket(Worker w, byte[] buf, int off, int len, PacketSink out) {
        if (!up) {
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

    /** For the IO shell: a read from the TUN device it could not make packets of (counted, dropped). */
    public void countMalformedOutbound() {
        stats.drop(DropReason.BAD_OUTBOUND_PACKET);
    }

    private void sendData(Peer peer, Worker w, byte[] buf, int off, int len, PacketSink out, long now) {
        Keypair kp = peer.current;
        if (peer.stagedCount == 0 && kp != null && kp.usableForSending(now)) {
            long counter = kp.sendCounter.getAndIncrement();
            if (!Protocol.counterAtOrPast(counter, Protocol.REJECT_AFTER_MESSAGES)) {
                sealAndSend(peer, kp, counter, w, buf, off, len, out, now);
                keepKeyFreshSending(peer, kp, counter, w, out, now);
                return;
            }
            kp.sendCounter.set(Protocol.REJECT_AFTER_MESSAGES);
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
        int padded = TransportMessage.paddedLength(len, mtu);
        Arrays.fill(buf, off + len, off + padded, (byte) 0);
        TransportMessage.writeHeader(buf, off - TransportMessage.HEADER_SIZE, kp.remoteIndex, counter);
        peer.timers.anyAuthenticatedPacketTraversal(now);
        int sealed = w.cipher.seal(kp.sendKey, counter, buf, off, padded);
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
    private void sendStaged(Peer peer, Worker w, PacketSink out, long now) {
        Keypair used = null;
        long lastCounter = 0;
        synchronized (peer) {
            if (peer.stagedCount == 0) {
                return;
            }
            Keypair kp = peer.current;
            if (kp == null || !kp.usableForSending(now)) {
                sendHandshakeInitiation(peer, false, w, out, now);
                return;
            }
            byte[] p;
            while ((p = peer.pollStaged()) != null) {
                long counter = kp.sendCounter.getAndIncrement();
                if (Protocol.counterAtOrPast(counter, Protocol.REJECT_AFTER_MESSAGES)) {
                    kp.sendCounter.set(Protocol.REJECT_AFTER_MESSAGES);
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

    /** The initiator rekeys after REKEY_AFTER_TIME; either side after REKEY_AFTER_MESSAGES. */
    private void keepKeyFreshSending(Peer peer, Keypair kp, long counter, Worker w, PacketSink out, long now) {
        if (Long.compareUnsigned(counter, Protocol.REKEY_AFTER_MESSAGES) > 0
                || (kp.initiator && now - kp.createdAt > rekeyAfterTime)) {
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

    // ================================================================ handshakes we send

    /**
     * Sends a handshake initiation unless one went out less than REKEY_TIMEOUT ago (at most one
     * handshake in flight per peer). {@code isRetry} keeps the attempt count (timer retries).
     */
    void sendHandshakeInitiation(Peer peer, boolean isRetry, Worker w, PacketSink out, long now) {
        sendInitiation(peer, isRetry, false, w, out, now);
    }

    private void sendInitiation(Peer peer, boolean isRetry, boolean forCookie, Worker w, PacketSink out, long now) {
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
            if (!createInitiation(peer, msg, now)) {
                return;
            }
            peer.cookieGenerator.addMacs(msg, 0, InitiationMessage.SIZE, now);
        }
        log(EventLog.Level.VERBOSE, peer + ": sending handshake initiation");
        peer.timers.anyAuthenticatedPacketTraversal(now);
        peer.timers.anyAuthenticatedPacketSent();
        // armed before the initiation leaves: the response may complete the handshake on another
        // thread before the send returns, and completion must find this timer to cancel
        peer.timers.handshakeInitiated(now);
        transmit(peer, msg, InitiationMessage.SIZE, out);
        stats.event(Stats.Event.INITIATION_SENT);
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

    /** Builds an initiation into msg (under the peer's lock). False when it cannot be made. */
    private boolean createInitiation(Peer peer, byte[] msg, long now) {
        Identity id = identity;
        if (id == null || !peer.handshake.staticStaticValid) {
            return false;
        }
        byte[] psk = peer.presharedKey();
        IkHandshake hs = IkHandshake.initiator(WireGuardNoise.initialState(), psk,
                id.privateKey, id.publicKey, peer.publicKey());
        Keys.zero(psk);
        byte[] ephemeral = X25519Keys.generatePrivate(random);
        byte[] timestamp = Tai64n.of(clock.unixNanos());
        int n = hs.writeMessageA(ephemeral, peer.handshake.precomputedStaticStatic, timestamp, 0, Tai64n.LENGTH,
                msg, InitiationMessage.OFF_NOISE);
        Keys.zero(ephemeral);
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
            log(EventLog.Level.ERROR, "index table full: " + e.getMessage());
            return false;
        }
        InitiationMessage.writeHeader(msg, 0, index);
        peer.handshake.clear();
        peer.handshake.noise = hs;
        peer.handshake.localIndex = index;
        peer.handshake.state = HandshakeState.INITIATION_CREATED;
        return true;
    }

    private void sendHandshakeResponse(Peer peer, Worker w, PacketSink out, long now) {
        byte[] msg = w.handshake;
        synchronized (peer) {
            peer.handshake.lastSentHandshake = now;
            if (peer.handshake.state != HandshakeState.INITIATION_CONSUMED) {
                return;
            }
            forgetHandshakeIndex(peer);
            int index;
            try {
                index = indices.allocate(peer);
            } catch (IllegalStateException e) {
                log(EventLog.Level.ERROR, "index table full: " + e.getMessage());
                return;
            }
            ResponseMessage.writeHeader(msg, 0, index, peer.handshake.remoteIndex);
            byte[] ephemeral = X25519Keys.generatePrivate(random);
            int n = peer.handshake.noise.writeMessageB(ephemeral, EMPTY, 0, 0, msg, ResponseMessage.OFF_NOISE);
            Keys.zero(ephemeral);
            peer.handshake.localIndex = index;
            if (n != ResponseMessage.NOISE_LENGTH) {
                forgetHandshakeIndex(peer);
                peer.handshake.clear();
                return;
            }
            peer.handshake.state = HandshakeState.RESPONSE_CREATED;
            peer.cookieGenerator.addMacs(msg, 0, ResponseMessage.SIZE, now);
            beginSymmetricSession(peer, now);
        }
        peer.timers.sessionDerived(now);
        peer.timers.anyAuthenticatedPacketTraversal(now);
        peer.timers.anyAuthenticatedPacketSent();
        transmit(peer, msg, ResponseMessage.SIZE, out);
        stats.event(Stats.Event.RESPONSE_SENT);
    }

    /** Derives the transport keys from the finished handshake and installs the keypair (under the peer's lock). */
    private void beginSymmetricSession(Peer peer, long now) {
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
                ? new Keypair(peer, i2r, r2i, true, now, hs.localIndex, hs.remoteIndex)
                : new Keypair(peer, r2i, i2r, false, now, hs.localIndex, hs.remoteIndex);
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
        log(EventLog.Level.VERBOSE, peer + ": session established (" + (initiator ? "initiator" : "responder") + ")");
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
            indices.remove(kp.localIndex, kp);
            kp.retire();
        }
    }

    // ================================================================ inbound: UDP -> TUN

    /**
     * Handles one datagram from the UDP socket: transport data is decrypted in place and written
     * to the TUN device at once; handshake messages of the exact size are queued for
     * {@link #processHandshakes} once they pass the checks that cost no Diffie-Hellman (see
     * {@link #receiveHandshake}); everything else is dropped and counted, never answered.
     */
    public void receive(Worker w, byte[] buf, int off, int len, InetSocketAddress from, PacketSink out) {
        if (!up) {
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
        if (isUnderLoad(now)) {
            noteArrivalUnderLoad(now);
            if (!admitUnderLoad(w, buf, off, len, from, out, now)) {
                return;
            }
            admitted = true;
        } else if (inlineHandshakes && handshakeQueue.size() == 0 && takeInlineToken(now)) {
            // no load: the Diffie-Hellman work here, now, saves two thread hand-offs per handshake
            // (the first packet's latency); under load everything goes through the bounded queue
            processHandshake(w, new HandshakeQueue.Item(Arrays.copyOfRange(buf, off, off + len), from, true), out);
            return;
        }
        enqueueHandshake(buf, off, len, from, admitted);
    }

    /**
     * At most INLINE_RATE handshakes a second (burst INLINE_BURST) are done on the receiving thread;
     * beyond that they queue, so a flood builds the queue depth that "under load" is measured by.
     */
    private synchronized boolean takeInlineToken(long now) {
        long elapsed = now - inlineLast;
        inlineLast = now;
        inlineTokens = Math.min(INLINE_BURST_NANOS, inlineTokens + Math.max(0, elapsed));
        if (inlineTokens < INLINE_COST_NANOS) {
            return false;
        }
        inlineTokens -= INLINE_COST_NANOS;
        return true;
    }

    private static final long INLINE_COST_NANOS = 1_000_000_000L / 50;
    private static final long INLINE_BURST_NANOS = 10 * INLINE_COST_NANOS;
    private long inlineTokens = INLINE_BURST_NANOS;
    private long inlineLast;

    private void enqueueHandshake(byte[] buf, int off, int len, InetSocketAddress from, boolean admitted) {
        if (!handshakeQueue.offer(new HandshakeQueue.Item(Arrays.copyOfRange(buf, off, off + len), from, admitted))) {
            stats.drop(DropReason.HANDSHAKE_QUEUE_FULL);
        }
    }

    /**
     * Under load a handshake message needs a valid mac2, or it is answered with a cookie reply
     * and dropped; with one, its source IP must be within its rate. True when it may proceed.
     */
    private boolean admitUnderLoad(Worker w, byte[] msg, int off, int len, InetSocketAddress from, PacketSink out,
                                   long now) {
        byte[] source = cookieSource(from);
        if (!cookieChecker.checkMac2(msg, off, len, source, now)) {
            // issue 11: a source (IP and port) over its reply budget is a flood; dropping it here
            // costs no cookie, seal or send, and the legitimate peer's own port keeps its budget
            if (!cookieReplyLimiter.allow(from, now)) {
                stats.drop(DropReason.COOKIE_REPLY_LIMITED);
                return false;
            }
            sendCookieReply(w, msg, off, len, from, source, out, now);
            stats.drop(DropReason.COOKIE_REQUIRED);
            return false;
        }
        if (!rateLimiter.allow(ipBytes(from), now)) {
            stats.drop(DropReason.RATE_LIMITED);
            return false;
        }
        return true;
    }

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
        if (kp.expired(now)) {
            stats.drop(DropReason.EXPIRED_KEYPAIR);
            return;
        }
        long counter = TransportMessage.counter(buf, off);
        int plain = w.cipher.open(kp.receiveKey, counter, buf, off + TransportMessage.HEADER_SIZE,
                len - TransportMessage.HEADER_SIZE);
        if (plain < 0) {
            stats.drop(DropReason.DECRYPT_FAILED);
            return;
        }
        if (kp.isRetired()) {
            stats.drop(DropReason.EXPIRED_KEYPAIR);
            return;
        }
        boolean fresh;
        synchronized (kp.replay) {
            fresh = kp.replay.validate(counter);
        }
        if (!fresh) {
            stats.drop(DropReason.REPLAY);
            return;
        }
        Peer peer = kp.peer;
        if (peer.confirmKeypair(kp)) {
            peer.timers.handshakeComplete(clock.unixNanos());
            sendStaged(peer, w, out, now);
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
        if (kp != null && kp.initiator && now - kp.createdAt > Protocol.REKEY_ON_RECEIVE_AFTER) {
            peer.timers.sentLastMinuteHandshake = true;
            sendHandshakeInitiation(peer, false, w, out, now);
        }
    }

    // ================================================================ handshake worker

    /** Drains the handshake queue without blocking. Returns how many messages were handled. */
    public int processHandshakes(Worker w, PacketSink out) {
        int n = 0;
        HandshakeQueue.Item item;
        while ((item = handshakeQueue.poll()) != null) {
            processHandshake(w, item, out);
            n++;
        }
        return n;
    }

    /** Handles one queued handshake message: cookie reply, or initiation/response after the MAC checks. */
    public void processHandshake(Worker w, HandshakeQueue.Item item, PacketSink out) {
        if (!up) {
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
            if (isUnderLoad(now) && !admitUnderLoad(w, msg, 0, msg.length, item.from(), out, now)) {
                return;
            }
        }
        if (type == MessageType.INITIATION) {
            consumeInitiation(w, msg, item.from(), out, now);
        } else if (type == MessageType.RESPONSE) {
            consumeResponse(w, msg, item.from(), out, now);
        }
    }

    /**
     * Messages answered on receipt never reach the queue, so its depth stops showing a flood that
     * goes on; counting them does. Another queue depth's worth of arrivals while under load keeps
     * the state for another second, as a flood that keeps the queue full does in wireguard-go; a
     * trickle below that rate lets it end a second after the last such count.
     */
    private void noteArrivalUnderLoad(long now) {
        if (arrivalsUnderLoad.incrementAndGet() >= Protocol.UNDER_LOAD_QUEUE_DEPTH) {
            arrivalsUnderLoad.set(0);
            underLoadUntil = now + Protocol.UNDER_LOAD_AFTER_TIME;
        }
    }

    private boolean isUnderLoad(long now) {
        Boolean forced = underLoadOverride;
        if (forced != null) {
            return forced;
        }
        if (handshakeQueue.size() >= Protocol.UNDER_LOAD_QUEUE_DEPTH) {
            underLoadUntil = now + Protocol.UNDER_LOAD_AFTER_TIME;
            return true;
        }
        return now < underLoadUntil;
    }

    private void sendCookieReply(Worker w, byte[] msg, int off, int len, InetSocketAddress to, byte[] source,
                                 PacketSink out, long now) {
        if (identity == null || to == null) {
            return;
        }
        byte[] reply = w.handshake;
        int sender = InitiationMessage.sender(msg, off); // same offset in a response
        cookieChecker.createReply(msg, off, len, sender, source, now, reply, 0);
        if (out.sendDatagram(to, reply, 0, CookieReplyMessage.SIZE)) {
            stats.event(Stats.Event.COOKIE_REPLY_SENT);
        } else {
            stats.drop(DropReason.SEND_FAILED);
        }
    }

    private void consumeCookieReply(Worker w, byte[] msg, PacketSink out, long now) {
        Object entry = indices.get(CookieReplyMessage.receiver(msg, 0));
        Peer peer = entry instanceof Peer ? (Peer) entry : entry instanceof Keypair ? ((Keypair) entry).peer : null;
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
            log(EventLog.Level.VERBOSE, peer + ": got a cookie, retrying the handshake with mac2 now");
            sendInitiation(peer, true, true, w, out, now);
        }
    }

    private void consumeInitiation(Worker w, byte[] msg, InetSocketAddress from, PacketSink out, long now) {
        Identity id = identity;
        if (id == null) {
            stats.drop(DropReason.INVALID_HANDSHAKE);
            return;
        }
        IkHandshake hs = IkHandshake.responder(WireGuardNoise.initialState(), ZERO_KEY, id.privateKey, id.publicKey);
        byte[] initiatorStatic = hs.readMessageAStatic(msg, InitiationMessage.OFF_NOISE, InitiationMessage.NOISE_LENGTH);
        Peer peer = initiatorStatic == null ? null : peer(initiatorStatic);
        if (peer == null || peer.removed) {
            if (initiatorStatic != null) {
                unknownInitiators.note(initiatorStatic, now);
            }
            hs.destroy();
            stats.drop(DropReason.INVALID_HANDSHAKE);
            return;
        }
        byte[] timestamp = new byte[Tai64n.LENGTH];
        synchronized (peer) {
            if (!peer.handshake.staticStaticValid) {
                hs.destroy();
                stats.drop(DropReason.INVALID_HANDSHAKE);
                return;
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
                return;
            }
            if (!Tai64n.isAfter(timestamp, peer.handshake.lastTimestamp)) {
                hs.destroy();
                stats.drop(DropReason.HANDSHAKE_REPLAY);
                return;
            }
            if (now - peer.handshake.lastInitiationConsumed <= Protocol.HANDSHAKE_INITIATION_RATE) {
                hs.destroy();
                stats.drop(DropReason.HANDSHAKE_FLOOD);
                return;
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
        log(EventLog.Level.VERBOSE, peer + ": received handshake initiation");
        peer.timers.anyAuthenticatedPacketTraversal(now);
        peer.timers.anyAuthenticatedPacketReceived();
        peer.setEndpointFromPacket(from);
        peer.rxBytes.addAndGet(msg.length);
        sendHandshakeResponse(peer, w, out, now);
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
                log(EventLog.Level.INFO, peer + ": the peer uses another of our pre-shared keys; switched to it");
                Keys.zero(psk);
                return trial;
            }
            trial.destroy();
            Keys.zero(psk);
        }
        return null;
    }

    private void consumeResponse(Worker w, byte[] msg, InetSocketAddress from, PacketSink out, long now) {
        int receiver = ResponseMessage.receiver(msg, 0);
        Object entry = indices.get(receiver);
        if (!(entry instanceof Peer)) {
            stats.drop(DropReason.INVALID_HANDSHAKE);
            return;
        }
        Peer peer = (Peer) entry;
        synchronized (peer) {
            PeerHandshake hs = peer.handshake;
            if (peer.removed || hs.state != HandshakeState.INITIATION_CREATED || hs.localIndex != receiver) {
                stats.drop(DropReason.INVALID_HANDSHAKE);
                return;
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
                return;
            }
            hs.noise.destroy();
            hs.noise = trial;
            hs.remoteIndex = ResponseMessage.sender(msg, 0);
            hs.state = HandshakeState.RESPONSE_CONSUMED;
            beginSymmetricSession(peer, now);
        }
        stats.event(Stats.Event.RESPONSE_RECEIVED);
        log(EventLog.Level.VERBOSE, peer + ": received handshake response");
        peer.setEndpointFromPacket(from);
        peer.rxBytes.addAndGet(msg.length);
        peer.timers.anyAuthenticatedPacketTraversal(now);
        peer.timers.anyAuthenticatedPacketReceived();
        peer.timers.sessionDerived(now);
        peer.timers.handshakeComplete(clock.unixNanos());
        // confirms the session to the responder, which may not send before it hears from us
        sendKeepalive(peer, w, out, now);
    }

    // ================================================================ timers

    /** Runs the timers due now. Returns the number of peers examined. */
    public int tick(Worker w, PacketSink out) {
        long now = clock.nanoTime();
        List<Peer> due = timerQueue.due(now);
        if (!up) {
            // stopped timers: what was due is forgotten; going up re-arms what must run
            return 0;
        }
        for (Peer p : due) {
            p.timers.runExpired(w, out, now);
        }
        return due.size();
    }

    /**
     * True (once) when the peer with this public key sent an initiation in the last seconds, before
     * it was a peer of this device: whoever just added it should start a handshake now rather than
     * leave the initiator to its 5 s retry.
     */
    public boolean initiatedBeforeItWasAPeer(byte[] publicKey) {
        return unknownInitiators.take(publicKey, clock.nanoTime());
    }

    /** When {@link #tick} next has work, on the monotonic clock; Long.MAX_VALUE when never. */
    public long nextTimerDeadline() {
        return timerQueue.nextDeadline();
    }

    // ================================================================ helpers

    /** The bytes a cookie is bound to: the sender's IP address and UDP port. */
    static byte[] cookieSource(InetSocketAddress from) {
        byte[] ip = ipBytes(from);
        byte[] src = Arrays.copyOf(ip, ip.length + 2);
        src[ip.length] = (byte) (from.getPort() >>> 8);
        src[ip.length + 1] = (byte) from.getPort();
        return src;
    }

    /** The sender's address bytes, with IPv4-mapped IPv6 folded to IPv4. */
    static byte[] ipBytes(InetSocketAddress from) {
        InetAddress a = from.getAddress();
        byte[] b = a == null ? new byte[4] : a.getAddress();
        if (b.length == 16 && !(a instanceof Inet4Address) && io.cryptun.noise.allowedips.IpPrefix.isV4Mapped(b)) {
            return Arrays.copyOfRange(b, 12, 16);
        }
        return b;
    }
}
