package io.cryptun.noise.device;

import io.cryptun.noise.allowedips.AllowedIps;
import io.cryptun.noise.cookie.CookieChecker;
import io.cryptun.noise.crypto.Keys;
import io.cryptun.noise.crypto.X25519Keys;
import io.cryptun.noise.session.IndexTable;
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
 *
 * <p>This class holds the configuration and the peers; the entry points hand over to the parts
 * laid out as wireguard-go's device/: {@link Inbound} (receive.go), {@link Outbound} (send.go),
 * {@link Handshakes} (noise-protocol.go) and {@link LoadGuard} (cookie.go and the under-load
 * state).
 */
public final class Device {
    /** WireGuard's default MTU, the TUN MTU until the IO shell sets another. */
    public static final int DEFAULT_MTU = 1420;

    final Clock clock;
    final SecureRandom random;
    final Jitter jitter;
    private final EventLog eventLog;
    final Stats stats = new Stats();
    final TimerQueue timerQueue = new TimerQueue();
    final HandshakeQueue handshakeQueue = new HandshakeQueue(Protocol.HANDSHAKE_QUEUE_SIZE);
    final CookieChecker cookieChecker;
    final IndexTable<Object> indices;
    final AllowedIps<Peer> allowedIps = new AllowedIps<>();
    private final Map<ByteBuffer, Peer> peers = new ConcurrentHashMap<>();
    private final AtomicLong peerSequence = new AtomicLong();
    private final Object configLock = new Object();
    private final int maxPeers;

    final Handshakes handshakes;
    final PreparedHandshakes prepared;
    final LoadGuard loadGuard;
    final Outbound outbound;
    final Inbound inbound;

    volatile Identity identity;
    volatile int mtu = DEFAULT_MTU;
    volatile boolean up = true;

    /**
     * {@code staticKey}: the private key kept for agreements (see {@link X25519Keys.AgreementKey});
     * {@code responderHash}: H0 with the public key mixed in, where every initiation to us starts.
     */
    record Identity(byte[] privateKey, byte[] publicKey, X25519Keys.AgreementKey staticKey, byte[] responderHash) {
    }

    private Device(Builder b) {
        this.clock = b.clock;
        this.random = b.random;
        this.jitter = b.jitter != null ? b.jitter : Jitter.random(new Random(b.random.nextLong()));
        this.eventLog = b.eventLog;
        this.maxPeers = b.maxPeers;
        this.cookieChecker = new CookieChecker(random);
        this.indices = new IndexTable<>(random::nextInt);
        this.handshakes = new Handshakes(this);
        this.prepared = new PreparedHandshakes(this);
        this.loadGuard = new LoadGuard(this);
        this.outbound = new Outbound(this, handshakes, b.rekeyAfterTime);
        this.inbound = new Inbound(this, handshakes, outbound, loadGuard, b.inlineHandshakes);
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
                identity = new Identity(priv, pub, X25519Keys.AgreementKey.of(priv, pub),
                        io.cryptun.noise.handshake.WireGuardNoise.responderHash(pub));
                cookieChecker.init(pub);
                prepared.identitySet();
            }
            if (old != null) {
                Keys.zero(old.privateKey);
                old.staticKey.destroy();
            }
            for (Peer p : peers.values()) {
                synchronized (p) {
                    handshakes.computeStaticStatic(p);
                }
                p.expireCurrentKeypairs();
                prepared.configured(p);
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
                handshakes.computeStaticStatic(p);
            }
            peers.put(key, p);
            prepared.configured(p);
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
        loadGuard.override(underLoad);
    }

    /**
     * The IO shell's timer thread, unparked ({@link java.util.concurrent.locks.LockSupport#unpark})
     * whenever a new earliest timer deadline is queued, so that it sleeps until then.
     */
    public void wakeTimerThread(Thread timerThread) {
        timerQueue.wakeOnEarlierDeadline(timerThread);
    }

    void log(EventLog.Level level, String message) {
        eventLog.log(level, message);
    }

    /**
     * "{@code peer}: {@code what}", built only when the log shows {@code level}: the per-handshake
     * verbose lines otherwise cost each handshake a few strings and a key label nobody reads.
     */
    void log(EventLog.Level level, Peer peer, String what) {
        if (eventLog.enabled(level)) {
            eventLog.log(level, peer + ": " + what);
        }
    }

    // ================================================================ packets and handshakes

    /**
     * Encrypts and sends one IP packet read from the TUN device, to the peer whose allowed IPs
     * hold its destination. buf[off, off+len) is the packet; the caller leaves
     * {@link Protocol#HEADROOM} bytes before it and {@link Protocol#TAILROOM} after it, so the
     * packet is framed and sealed in place.
     */
    public void sendPacket(Worker w, byte[] buf, int off, int len, PacketSink out) {
        outbound.sendPacket(w, buf, off, len, out);
    }

    /** For the IO shell: a read from the TUN device it could not make packets of (counted, dropped). */
    public void countMalformedOutbound() {
        stats.drop(DropReason.BAD_OUTBOUND_PACKET);
    }

    /**
     * Handles one datagram from the UDP socket: transport data is decrypted in place and written
     * to the TUN device at once; handshake messages of the exact size are queued for
     * {@link #processHandshakes} (or, with inline handshakes and no load, handled at once) once
     * they pass the checks that cost no Diffie-Hellman; everything else is dropped and counted,
     * never answered.
     */
    public void receive(Worker w, byte[] buf, int off, int len, InetSocketAddress from, PacketSink out) {
        inbound.receive(w, buf, off, len, from, out);
    }

    /** Drains the handshake queue without blocking. Returns how many messages were handled. */
    public int processHandshakes(Worker w, PacketSink out) {
        return inbound.processHandshakes(w, out);
    }

    /** Handles one queued handshake message: cookie reply, or initiation/response after the MAC checks. */
    public void processHandshake(Worker w, HandshakeQueue.Item item, PacketSink out) {
        inbound.processHandshake(w, item, out);
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
        prepared.run(now);
        return due.size();
    }

    /**
     * True (once) when the peer with this public key sent an initiation in the last seconds, before
     * it was a peer of this device: whoever just added it should start a handshake now rather than
     * leave the initiator to its 5 s retry.
     */
    public boolean initiatedBeforeItWasAPeer(byte[] publicKey) {
        return handshakes.initiatedBeforeItWasAPeer(publicKey);
    }

    /** When {@link #tick} next has work, on the monotonic clock; Long.MAX_VALUE when never. */
    public long nextTimerDeadline() {
        return Math.min(timerQueue.nextDeadline(), up ? prepared.dueAt() : Long.MAX_VALUE);
    }
}
