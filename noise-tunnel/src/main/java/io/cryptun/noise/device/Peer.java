package io.cryptun.noise.device;

import io.cryptun.noise.cookie.CookieGenerator;
import io.cryptun.noise.crypto.Keys;
import io.cryptun.noise.session.Keypair;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One WireGuard peer: its identity and configuration, its keypairs (previous, current, next),
 * its handshake, its timers and the packets waiting for a session. Handshake, keypair rotation,
 * timers and the staging queue are guarded by this object's monitor; the packet path reads the
 * current keypair and the endpoint without locking.
 */
public final class Peer {
    final Device device;
    private final byte[] publicKey;
    final long sequence;
    final CookieGenerator cookieGenerator;
    final PeerHandshake handshake = new PeerHandshake();
    final PeerTimers timers;

    private final byte[] presharedKey = new byte[32];
    /** Other pre-shared keys the peer may be using (a mesh rotating its secret); tried on a response. */
    private java.util.List<byte[]> alternativePresharedKeys = java.util.List.of();
    private volatile InetSocketAddress endpoint;
    private volatile int persistentKeepaliveSeconds;

    volatile Keypair current;
    Keypair previous;
    volatile Keypair next;

    private final ArrayDeque<byte[]> staged = new ArrayDeque<>();
    volatile int stagedCount;

    final AtomicLong rxBytes = new AtomicLong();
    final AtomicLong txBytes = new AtomicLong();
    volatile long lastHandshakeUnixNanos;
    volatile boolean removed;
    private volatile String lastHandshakeFailure;
    private volatile long lastHandshakeFailureUnixNanos;

    /** The earliest deadline queued for this peer in the device's TimerQueue (owned by TimerQueue). */
    volatile long scheduledAt = TimerQueue.NEVER;

    Peer(Device device, byte[] publicKey, long sequence) {
        this.device = device;
        this.publicKey = publicKey.clone();
        this.sequence = sequence;
        this.cookieGenerator = new CookieGenerator(publicKey);
        this.timers = new PeerTimers(this);
    }

    public byte[] publicKey() {
        return publicKey.clone();
    }

    boolean hasPublicKey(byte[] key) {
        return Arrays.equals(publicKey, key);
    }

    /** A non-secret label for logs. */
    @Override
    public String toString() {
        return "peer(" + Keys.shortLabel(publicKey) + ")";
    }

    // ---------------------------------------------------------------- configuration

    public synchronized byte[] presharedKey() {
        return presharedKey.clone();
    }

    /** Sets the pre-shared key; null or all-zero means none (the handshake then uses zeros). */
    public synchronized void setPresharedKey(byte[] psk) {
        if (psk == null) {
            Arrays.fill(presharedKey, (byte) 0);
        } else {
            if (psk.length != 32) {
                throw new IllegalArgumentException("pre-shared key must be 32 bytes");
            }
            System.arraycopy(psk, 0, presharedKey, 0, 32);
        }
    }

    /**
     * Pre-shared keys to try, after the configured one, when a response does not authenticate: a
     * peer may already (or still) use another one while a mesh rotates its secret. The first that
     * authenticates becomes this peer's pre-shared key. As responder only the configured key is used.
     */
    public synchronized void setAlternativePresharedKeys(java.util.List<byte[]> keys) {
        for (byte[] k : alternativePresharedKeys) {
            Arrays.fill(k, (byte) 0);
        }
        java.util.List<byte[]> copy = new java.util.ArrayList<>();
        for (byte[] k : keys) {
            if (k.length != 32) {
                throw new IllegalArgumentException("pre-shared key must be 32 bytes");
            }
            copy.add(k.clone());
        }
        alternativePresharedKeys = java.util.List.copyOf(copy);
    }

    synchronized java.util.List<byte[]> alternativePresharedKeys() {
        java.util.List<byte[]> out = new java.util.ArrayList<>();
        for (byte[] k : alternativePresharedKeys) {
            out.add(k.clone());
        }
        return out;
    }

    public InetSocketAddress endpoint() {
        return endpoint;
    }

    public void setEndpoint(InetSocketAddress endpoint) {
        this.endpoint = endpoint;
        device.prepared.configured(this);
    }

    /**
     * Starts a new handshake now, or as soon as the spacing between initiations (REKEY_TIMEOUT)
     * allows, as the timers would: e.g. after the pre-shared key changed, so the next session is
     * keyed with it without waiting for the regular rekey. The current session keeps carrying
     * traffic until the new one is confirmed; a handshake that fails leaves it in place.
     */
    public void initiateHandshake() {
        if (!removed) {
            timers.handshakeWanted(device.clock.nanoTime());
        }
    }

    public int persistentKeepaliveSeconds() {
        return persistentKeepaliveSeconds;
    }

    /**
     * Sets the persistent keepalive interval (0 = off, at most 65535 s). Turning it on sends a
     * keepalive at once, as wireguard-go does, which also starts a handshake if there is no session.
     */
    public void setPersistentKeepalive(int seconds) {
        if (seconds < 0 || seconds > 65535) {
            throw new IllegalArgumentException("persistent keepalive must be 0..65535 seconds");
        }
        int old = persistentKeepaliveSeconds;
        persistentKeepaliveSeconds = seconds;
        if (seconds > 0 && old == 0 && !removed) {
            timers.armPersistentKeepaliveNow(device.clock.nanoTime());
        }
    }

    public long rxBytes() {
        return rxBytes.get();
    }

    public long txBytes() {
        return txBytes.get();
    }

    /** Unix time of the last completed handshake in nanoseconds, or 0 if there was none. */
    public long lastHandshakeUnixNanos() {
        return lastHandshakeUnixNanos;
    }

    /**
     * Why the last handshake with this peer failed, where that can be known (e.g. a response that
     * does not authenticate: most often a pre-shared key mismatch); null after a success.
     */
    public String lastHandshakeFailure() {
        return lastHandshakeFailure;
    }

    public long lastHandshakeFailureUnixNanos() {
        return lastHandshakeFailureUnixNanos;
    }

    void handshakeFailed(String reason, long unixNanos) {
        lastHandshakeFailure = reason;
        lastHandshakeFailureUnixNanos = unixNanos;
    }

    void handshakeSucceeded() {
        lastHandshakeFailure = null;
    }

    public boolean isRemoved() {
        return removed;
    }

    /** The session currently used for sending, or null (for tests and status). */
    public Keypair currentKeypair() {
        return current;
    }

    public synchronized Keypair previousKeypair() {
        return previous;
    }

    public Keypair nextKeypair() {
        return next;
    }

    public int stagedPackets() {
        return stagedCount;
    }

    // ---------------------------------------------------------------- staging

    /** Queues a copy of an outbound packet until a session exists; the oldest is dropped when full. */
    synchronized void stage(byte[] buf, int off, int len) {
        if (staged.size() >= Protocol.MAX_STAGED_PACKETS) {
            staged.pollFirst();
            device.stats.drop(DropReason.STAGED_OVERFLOW);
        }
        staged.addLast(Arrays.copyOfRange(buf, off, off + len));
        stagedCount = staged.size();
    }

    synchronized byte[] pollStaged() {
        byte[] p = staged.pollFirst();
        stagedCount = staged.size();
        return p;
    }

    synchronized void unpollStaged(byte[] packet) {
        staged.addFirst(packet);
        stagedCount = staged.size();
    }

    synchronized int flushStaged(DropReason reason) {
        int n = staged.size();
        staged.clear();
        stagedCount = 0;
        for (int i = 0; i < n; i++) {
            device.stats.drop(reason);
        }
        return n;
    }

    // ---------------------------------------------------------------- keypairs

    /**
     * Installs a keypair from a completed handshake. The initiator uses it at once; the responder
     * keeps it as "next" until the initiator's first packet confirms it (whitepaper 5.4.6, key
     * confirmation). Replaced keypairs are retired (zeroed, index freed).
     */
    synchronized void installKeypair(Keypair kp) {
        if (kp.isInitiator()) {
            Keypair oldNext = next;
            Keypair oldPrevious = previous;
            if (oldNext != null) {
                next = null;
                previous = oldNext;
                device.handshakes.retireKeypair(current);
            } else {
                previous = current;
            }
            device.handshakes.retireKeypair(oldPrevious);
            current = kp;
        } else {
            Keypair oldNext = next;
            next = kp;
            device.handshakes.retireKeypair(oldNext);
            Keypair oldPrevious = previous;
            previous = null;
            device.handshakes.retireKeypair(oldPrevious);
        }
    }

    /** Key confirmation: the first packet received on "next" promotes it. Returns true if it did. */
    boolean confirmKeypair(Keypair kp) {
        if (next != kp) {
            return false;
        }
        synchronized (this) {
            if (next != kp) {
                return false;
            }
            Keypair old = previous;
            previous = current;
            device.handshakes.retireKeypair(old);
            current = kp;
            next = null;
            return true;
        }
    }

    /** Drops every keypair and the handshake in progress, and the staged packets (key zeroing). */
    synchronized void zeroAndFlushAll() {
        device.handshakes.retireKeypair(previous);
        device.handshakes.retireKeypair(current);
        device.handshakes.retireKeypair(next);
        previous = null;
        current = null;
        next = null;
        device.handshakes.forgetHandshakeIndex(this);
        handshake.clear();
        flushStaged(DropReason.HANDSHAKE_TIMEOUT);
    }

    /**
     * For a removed peer: zeroes what outlives its sessions, the pre-shared key and the
     * static-static DH result (a long-term secret: with it, anyone could pass as this peer).
     */
    synchronized void forgetSecrets() {
        Arrays.fill(presharedKey, (byte) 0);
        handshake.setStaticStatic(null, false);
        cookieGenerator.clear();
    }

    /** After a private key change: current sessions may not be used to send any more. */
    synchronized void expireCurrentKeypairs() {
        device.handshakes.forgetHandshakeIndex(this);
        handshake.clear();
        handshake.lastSentHandshake = device.clock.nanoTime() - Protocol.REKEY_TIMEOUT - 1_000_000_000L;
        if (current != null) {
            current.stopSending();
        }
        Keypair n = next;
        if (n != null) {
            n.stopSending();
        }
    }

    /** Updates the endpoint from the outer source of an authenticated packet (roaming). */
    void setEndpointFromPacket(InetSocketAddress from) {
        if (from != null && !from.equals(endpoint)) {
            endpoint = from;
        }
    }
}
