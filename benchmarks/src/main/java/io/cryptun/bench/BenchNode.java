package io.cryptun.bench;

import io.cryptun.noise.crypto.TransportCipher;
import io.cryptun.noise.crypto.X25519Keys;
import io.cryptun.noise.device.Device;
import io.cryptun.noise.device.PacketSink;
import io.cryptun.noise.device.Worker;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * One in-memory WireGuard interface: a {@link Device}, its {@link Worker} and a {@link PacketSink}
 * that stands in for the UDP socket and the TUN device without allocating on the packet path.
 * Datagrams the device sends are copied into a ring of preallocated slots (as sendmsg copies into
 * the kernel) until {@link BenchPair} delivers them; a TUN write is copied into one buffer (as
 * write(2) would) and counted.
 */
public final class BenchNode implements PacketSink {
    private static final int SLOTS = 64;
    private static final int SLOT_SIZE = 2048;

    public final String name;
    public final Device device;
    public final Worker worker;
    public final InetSocketAddress address;
    public final byte[] publicKey;

    private final byte[][] slots = new byte[SLOTS][SLOT_SIZE];
    private final int[] lengths = new int[SLOTS];
    private int head;
    private int queued;
    private long datagramsSent;

    private final byte[] tunOut = new byte[Worker.MAX_PACKET];
    private int tunLength;
    private long tunWrites;

    public BenchNode(String name, String ip, int port, BenchClock clock, String cipherBackend, long seed) {
        this.name = name;
        try {
            this.address = new InetSocketAddress(InetAddress.getByName(ip), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("numeric address expected: " + ip, e);
        }
        SecureRandom random = seeded(seed);
        this.device = Device.builder().clock(clock).random(random).build();
        this.worker = new Worker(TransportCipher.create(cipherBackend));
        byte[] privateKey = X25519Keys.generatePrivate(random);
        this.publicKey = X25519Keys.publicFromPrivate(privateKey);
        device.setPrivateKey(privateKey);
        Arrays.fill(privateKey, (byte) 0);
    }

    /** Repeatable key material and indices, so runs differ only in timing. */
    static SecureRandom seeded(long seed) {
        try {
            SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
            r.setSeed(seed);
            return r;
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public boolean sendDatagram(InetSocketAddress to, byte[] buf, int off, int len) {
        if (queued == SLOTS) {
            return false;
        }
        int slot = (head + queued) % SLOTS;
        if (slots[slot].length < len) {
            slots[slot] = new byte[len];
        }
        System.arraycopy(buf, off, slots[slot], 0, len);
        lengths[slot] = len;
        queued++;
        datagramsSent++;
        return true;
    }

    @Override
    public void writeTun(byte[] buf, int off, int len) {
        System.arraycopy(buf, off, tunOut, 0, len);
        tunLength = len;
        tunWrites++;
    }

    /** Datagrams sent and not yet delivered or discarded. */
    public int queued() {
        return queued;
    }

    /** The oldest undelivered datagram (a copy), for checks and for replaying handshake messages. */
    public byte[] peekDatagram() {
        if (queued == 0) {
            throw new IllegalStateException(name + " has sent nothing");
        }
        return Arrays.copyOf(slots[head], lengths[head]);
    }

    /** Hands the oldest queued datagram to {@code to} as if it arrived on its UDP socket. False when none is queued. */
    public boolean deliverOne(BenchNode to) {
        if (queued == 0) {
            return false;
        }
        byte[] slot = slots[head];
        int len = lengths[head];
        head = (head + 1) % SLOTS;
        queued--;
        // the slot stays untouched until this node sends SLOTS more datagrams, long after receive returns
        to.device.receive(to.worker, slot, 0, len, address, to);
        return true;
    }

    public void discardQueued() {
        head = 0;
        queued = 0;
    }

    public long datagramsSent() {
        return datagramsSent;
    }

    public long tunWrites() {
        return tunWrites;
    }

    /** The last packet written to the TUN device (a copy). */
    public byte[] lastTunPacket() {
        return Arrays.copyOf(tunOut, tunLength);
    }

    @Override
    public String toString() {
        return name;
    }
}
