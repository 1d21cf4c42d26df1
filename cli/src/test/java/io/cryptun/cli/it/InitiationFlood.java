package io.cryptun.cli.it;

import io.cryptun.noise.crypto.Blake2s;
import io.cryptun.noise.crypto.XChaChaPoly;
import io.cryptun.noise.handshake.WireGuardNoise;
import io.cryptun.noise.wire.CookieReplyMessage;
import io.cryptun.noise.wire.InitiationMessage;
import io.cryptun.testkit.Netns;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A flood of handshake initiations that pass the responder's first check: random content with a
 * valid mac1, which only needs the responder's public key. Sent by the test from its own UDP
 * sockets (one per source address, opened inside the attacker's namespace), bounded in count and
 * time. The replies coming back are counted, and each is checked to be a genuine cookie reply for
 * one of our messages: a cookie reply's key also derives from the responder's public key and its
 * associated data is the mac1 it answers, so the attacker can decrypt it (the cookie only proves
 * that the sender owns its address). With a cookie in hand the flood can also send initiations
 * with a valid mac2, which under load meet the per-source rate limiter.
 */
final class InitiationFlood implements AutoCloseable {
    private static final int TEMPLATES = 4096;
    private static final int COOKIE_LENGTH = 16;

    private final InetSocketAddress target;
    private final byte[] mac1Key;
    private final byte[] cookieKey;
    private final List<DatagramChannel> sockets;
    private final byte[][] templates = new byte[TEMPLATES][];
    /** What the sender sends: the templates, or copies of them with a valid mac2 (see {@link #switchToMac2}). */
    private volatile byte[][] outgoing = templates;
    private final List<Thread> readers = new ArrayList<>();
    /** The cookie last received on each socket (bound to that socket's address and port). */
    private final ConcurrentHashMap<Integer, byte[]> cookies = new ConcurrentHashMap<>();

    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong replies = new AtomicLong();
    private final AtomicLong genuineCookieReplies = new AtomicLong();
    private final AtomicLong otherReplies = new AtomicLong();
    private volatile boolean stop;
    private volatile Mac2Request mac2Request;
    private Thread sender;

    /** Opens one socket per source address (port chosen by the kernel) inside {@code ns}. */
    static InitiationFlood open(Netns ns, List<String> sourceAddresses, InetSocketAddress target,
                                byte[] responderPublicKey) throws Exception {
        List<DatagramChannel> sockets = ns.callInside(() -> {
            List<DatagramChannel> l = new ArrayList<>();
            for (String a : sourceAddresses) {
                DatagramChannel ch = DatagramChannel.open();
                ch.bind(new InetSocketAddress(InetAddress.getByName(a), 0));
                l.add(ch);
            }
            return l;
        });
        return new InitiationFlood(target, responderPublicKey, sockets);
    }

    private InitiationFlood(InetSocketAddress target, byte[] responderPublicKey, List<DatagramChannel> sockets) {
        this.target = target;
        this.mac1Key = WireGuardNoise.labelKey(WireGuardNoise.LABEL_MAC1, responderPublicKey);
        this.cookieKey = WireGuardNoise.labelKey(WireGuardNoise.LABEL_COOKIE, responderPublicKey);
        this.sockets = sockets;
        SecureRandom random = new SecureRandom();
        for (int i = 0; i < TEMPLATES; i++) {
            byte[] m = new byte[InitiationMessage.SIZE];
            random.nextBytes(m);
            // the sender index names the template, so a reply leads back to the mac1 it answers
            InitiationMessage.writeHeader(m, 0, i);
            Blake2s.mac(mac1Key, m, 0, InitiationMessage.OFF_MAC1, m, InitiationMessage.OFF_MAC1);
            java.util.Arrays.fill(m, InitiationMessage.OFF_MAC2, InitiationMessage.SIZE, (byte) 0);
            templates[i] = m;
        }
        for (int s = 0; s < sockets.size(); s++) {
            int socketIndex = s;
            Thread t = new Thread(() -> readReplies(socketIndex), "flood-reader-" + s);
            t.setDaemon(true);
            t.start();
            readers.add(t);
        }
    }

    /**
     * Starts sending in the background, round-robin over the sockets: bursts of {@code burst}
     * packets back to back, as many bursts as make about {@code perSecond} packets a second, until
     * {@code maxPackets} were sent, {@code maxTime} passed or {@link #stop()}. A burst outruns any
     * Diffie-Hellman worker at once (so the responder goes under load whatever its speed) while
     * the average rate stays one the responder can answer, so the flood is shed by cookies rather
     * than by the kernel dropping datagrams at a full socket buffer, legitimate ones included.
     */
    void start(long maxPackets, Duration maxTime, int perSecond, int burst) {
        long deadline = System.nanoTime() + maxTime.toNanos();
        long burstInterval = 1_000_000_000L * burst / perSecond;
        sender = new Thread(() -> {
            ByteBuffer buf = ByteBuffer.allocateDirect(InitiationMessage.SIZE);
            long nextBurst = System.nanoTime();
            long n = 0;
            try {
                while (!stop && n < maxPackets && System.nanoTime() < deadline) {
                    long wait = nextBurst - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                        continue;
                    }
                    nextBurst += burstInterval;
                    for (int i = 0; i < burst && n < maxPackets; i++) {
                        Mac2Request r = mac2Request;
                        if (r != null && i == burst / 2) {
                            mac2Request = null;
                            for (byte[] m : r.messages()) {
                                sockets.get(r.socketIndex()).send(ByteBuffer.wrap(m), target);
                            }
                            r.done().countDown();
                        }
                        buf.clear();
                        buf.put(outgoing[(int) (n % TEMPLATES)]);
                        buf.flip();
                        sockets.get((int) (n % sockets.size())).send(buf, target);
                        n++;
                        sent.incrementAndGet();
                    }
                }
            } catch (ClosedChannelException e) {
                // closed under us: done
            } catch (IOException e) {
                throw new IllegalStateException("flood send failed after " + n + " packets", e);
            }
        }, "flood-sender");
        sender.setDaemon(true);
        sender.start();
    }

    /**
     * Asks the sender to put {@code count} initiations with a valid mac2 (made with the cookie last
     * received on socket {@code socketIndex}) from that socket into the middle of its next burst,
     * where the responder is surely under load. Returns once they were sent.
     */
    void sendWithMac2MidBurst(int socketIndex, int count, Duration timeout) throws InterruptedException {
        byte[] cookie = cookies.get(socketIndex);
        if (cookie == null) {
            throw new IllegalStateException("no cookie received on socket " + socketIndex);
        }
        SecureRandom random = new SecureRandom();
        byte[][] msgs = new byte[count][];
        for (int i = 0; i < count; i++) {
            byte[] m = new byte[InitiationMessage.SIZE];
            random.nextBytes(m);
            InitiationMessage.writeHeader(m, 0, TEMPLATES + i);
            Blake2s.mac(mac1Key, m, 0, InitiationMessage.OFF_MAC1, m, InitiationMessage.OFF_MAC1);
            Blake2s.mac(cookie, m, 0, InitiationMessage.OFF_MAC2, m, InitiationMessage.OFF_MAC2);
            msgs[i] = m;
        }
        CountDownLatch done = new CountDownLatch(1);
        mac2Request = new Mac2Request(socketIndex, msgs, done);
        if (!done.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("the sender did not send the mac2 messages in time (is it running?)");
        }
    }

    /**
     * From now on every initiation the sender sends carries a valid mac2, made with the cookie last
     * received on socket {@code socketIndex} (so meant for a flood from that one socket): the
     * attacker that fetched a cookie for its own address.
     */
    void switchToMac2(int socketIndex) {
        byte[] cookie = cookies.get(socketIndex);
        if (cookie == null) {
            throw new IllegalStateException("no cookie received on socket " + socketIndex);
        }
        byte[][] withMac2 = new byte[TEMPLATES][];
        for (int i = 0; i < TEMPLATES; i++) {
            byte[] m = templates[i].clone();
            Blake2s.mac(cookie, m, 0, InitiationMessage.OFF_MAC2, m, InitiationMessage.OFF_MAC2);
            withMac2[i] = m;
        }
        outgoing = withMac2;
    }

    private record Mac2Request(int socketIndex, byte[][] messages, CountDownLatch done) {
    }

    private void readReplies(int socketIndex) {
        DatagramChannel ch = sockets.get(socketIndex);
        ByteBuffer buf = ByteBuffer.allocate(2048);
        byte[] b = new byte[2048];
        byte[] plain = new byte[COOKIE_LENGTH];
        while (true) {
            buf.clear();
            try {
                if (ch.receive(buf) == null) {
                    continue;
                }
            } catch (IOException e) {
                return; // closed
            }
            buf.flip();
            int len = buf.remaining();
            buf.get(b, 0, len);
            replies.incrementAndGet();
            if (len == CookieReplyMessage.SIZE && b[0] == 3 && b[1] == 0 && b[2] == 0 && b[3] == 0
                    && openCookie(b, plain)) {
                genuineCookieReplies.incrementAndGet();
                cookies.put(socketIndex, plain.clone());
            } else {
                otherReplies.incrementAndGet();
            }
        }
    }

    /** Decrypts a cookie reply against the mac1 of the template its receiver index names. */
    private boolean openCookie(byte[] reply, byte[] plain) {
        int receiver = CookieReplyMessage.receiver(reply, 0);
        if (receiver < 0 || receiver >= TEMPLATES) {
            // a reply to a valid-mac2 message: its mac1 is not kept, so it cannot be checked here
            return false;
        }
        byte[] mac1 = java.util.Arrays.copyOfRange(templates[receiver], InitiationMessage.OFF_MAC1,
                InitiationMessage.OFF_MAC2);
        byte[] nonce = java.util.Arrays.copyOfRange(reply, CookieReplyMessage.OFF_NONCE,
                CookieReplyMessage.OFF_NONCE + XChaChaPoly.NONCE_LENGTH);
        return XChaChaPoly.open(cookieKey, nonce, mac1, reply, CookieReplyMessage.OFF_COOKIE,
                CookieReplyMessage.COOKIE_CIPHERTEXT_LENGTH, plain, 0) == COOKIE_LENGTH;
    }

    void stop() throws InterruptedException {
        stop = true;
        if (sender != null) {
            sender.join(5000);
        }
    }

    /** Waits for the sender to finish on its own (count or time bound reached). */
    void awaitSender(Duration timeout) throws InterruptedException {
        if (sender != null) {
            sender.join(timeout.toMillis());
        }
    }

    long sent() {
        return sent.get();
    }

    long replies() {
        return replies.get();
    }

    long genuineCookieReplies() {
        return genuineCookieReplies.get();
    }

    long otherReplies() {
        return otherReplies.get();
    }

    boolean hasCookie(int socketIndex) {
        return cookies.containsKey(socketIndex);
    }

    @Override
    public void close() throws InterruptedException {
        stop();
        for (DatagramChannel ch : sockets) {
            try {
                ch.close();
            } catch (IOException e) {
                // closing is best effort
            }
        }
        for (Thread t : readers) {
            t.join(2000);
        }
    }
}
