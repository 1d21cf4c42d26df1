package io.cryptun.routing.bmx7;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.routing.TunnelSearch;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Talks to a bmx7 daemon over its control socket ({@code <runtimeDir>/sock}, AF_UNIX stream),
 * exactly like {@code bmx7 -c}: one connection per request; the request is the arguments joined
 * by single spaces followed by two spaces and {@code #} (no newline); the reply is everything read
 * until the daemon closes, in as many pieces as it likes. Every request has an overall deadline,
 * and replies are bounded in size.
 */
public final class Bmx7ControlClient {
    /** bmx7's own client refuses longer requests. */
    public static final int MAX_REQUEST_BYTES = 2000;
    public static final int DEFAULT_MAX_REPLY_BYTES = 8 << 20;

    private final Path socketPath;
    private final Duration timeout;
    private final int maxReplyBytes;

    public Bmx7ControlClient(Path socketPath, Duration timeout) {
        this(socketPath, timeout, DEFAULT_MAX_REPLY_BYTES);
    }

    public Bmx7ControlClient(Path socketPath, Duration timeout, int maxReplyBytes) {
        this.socketPath = Objects.requireNonNull(socketPath, "socketPath");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive");
        }
        if (maxReplyBytes < 1) {
            throw new IllegalArgumentException("maxReplyBytes must be positive");
        }
        this.timeout = timeout;
        this.maxReplyBytes = maxReplyBytes;
    }

    /**
     * The request bytes for these arguments, as {@code bmx7 -c} writes them.
     *
     * @throws IllegalArgumentException for an empty request, a '#' (bmx7's end marker), a control
     *                                  or non-ASCII character, or more than {@link #MAX_REQUEST_BYTES}
     */
    public static byte[] encodeRequest(List<String> args) {
        if (args.isEmpty()) {
            throw new IllegalArgumentException("empty bmx7 request");
        }
        String joined = String.join(" ", args);
        for (int i = 0; i < joined.length(); i++) {
            char c = joined.charAt(i);
            if (c < 0x20 || c > 0x7e || c == '#') {
                throw new IllegalArgumentException("bmx7 request contains a character it cannot carry (position " + i + ")");
            }
        }
        if (joined.isBlank()) {
            throw new IllegalArgumentException("empty bmx7 request");
        }
        byte[] out = (joined + "  #").getBytes(StandardCharsets.US_ASCII);
        if (out.length > MAX_REQUEST_BYTES) {
            throw new IllegalArgumentException("bmx7 request longer than " + MAX_REQUEST_BYTES + " bytes");
        }
        return out;
    }

    /** Sends one request and returns the complete reply, successful or not. */
    public Bmx7Reply request(String... args) throws IOException {
        byte[] req = encodeRequest(List.of(args));
        long deadline = System.nanoTime() + timeout.toNanos();
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX); Selector selector = Selector.open()) {
            ch.configureBlocking(false);
            try {
                if (!ch.connect(UnixDomainSocketAddress.of(socketPath))) {
                    await(ch, selector, SelectionKey.OP_CONNECT, deadline);
                    while (!ch.finishConnect()) {
                        await(ch, selector, SelectionKey.OP_CONNECT, deadline);
                    }
                }
            } catch (IOException e) {
                throw new IOException("cannot connect to bmx7 control socket " + socketPath + ": " + e.getMessage(), e);
            }
            ByteBuffer out = ByteBuffer.wrap(req);
            while (out.hasRemaining()) {
                if (ch.write(out) == 0) {
                    await(ch, selector, SelectionKey.OP_WRITE, deadline);
                }
            }
            ByteArrayOutputStream reply = new ByteArrayOutputStream(4096);
            ByteBuffer in = ByteBuffer.allocate(8192);
            while (true) {
                in.clear();
                int n = ch.read(in);
                if (n < 0) {
                    return new Bmx7Reply(reply.toByteArray());
                }
                if (n == 0) {
                    await(ch, selector, SelectionKey.OP_READ, deadline);
                    continue;
                }
                if (reply.size() + n > maxReplyBytes) {
                    throw new IOException("bmx7 reply exceeds " + maxReplyBytes + " bytes");
                }
                reply.write(in.array(), 0, n);
            }
        }
    }

    /**
     * Sends one request and returns the reply body without its final {@code $}.
     *
     * @throws Bmx7ControlException when bmx7 refuses the request
     */
    public String call(String... args) throws IOException {
        Bmx7Reply r = request(args);
        if (!r.isSuccess()) {
            throw new Bmx7ControlException(String.join(" ", args), r);
        }
        return r.body();
    }

    private void await(SocketChannel ch, Selector selector, int op, long deadline) throws IOException {
        long remainingMs = (deadline - System.nanoTime()) / 1_000_000;
        if (remainingMs <= 0) {
            throw new SocketTimeoutException("bmx7 control socket " + socketPath + ": no complete reply within "
                    + timeout.toMillis() + " ms");
        }
        SelectionKey key = ch.register(selector, op);
        try {
            selector.select(remainingMs);
        } finally {
            key.interestOps(0);
            selector.selectedKeys().clear();
        }
    }

    /** Makes sure bmx7 publishes {@code sendSms/<name>} (idempotent: a repeat answers just {@code $}). */
    public void syncSms(String smsName) throws IOException {
        checkName(smsName, Bmx7Limits.MAX_SMS_NAME_LENGTH);
        call("syncSms=" + smsName);
    }

    public void removeSyncSms(String smsName) throws IOException {
        checkName(smsName, Bmx7Limits.MAX_SMS_NAME_LENGTH);
        call("syncSms=-" + smsName);
    }

    /** Announces {@code network} as a bmx7 tunnel network, so plain bmx7 nodes see it too. */
    public void tunIn(String name, IpPrefix network, long bandwidth) throws IOException {
        checkName(name, TunnelSearch.MAX_NAME_LENGTH);
        String problem = Bmx7Limits.checkBandwidth("bandwidth", bandwidth);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        call("tunIn=" + name, "/network=" + network, "/bandwidth=" + bandwidth);
    }

    /** Announces {@code network} with bmx7's default bandwidth (1000 bit/s, shown as 960). */
    public void tunIn(String name, IpPrefix network) throws IOException {
        checkName(name, TunnelSearch.MAX_NAME_LENGTH);
        call("tunIn=" + name, "/network=" + network);
    }

    public void removeTunIn(String name) throws IOException {
        checkName(name, TunnelSearch.MAX_NAME_LENGTH);
        call("tunIn=-" + name);
    }

    /** Hands a search to bmx7's tun plugin (its plain IP-in-IPv6 tunnels). */
    public void tunOut(TunnelSearch search) throws IOException {
        call(search.toBmx7Option());
    }

    public void removeTunOut(String name) throws IOException {
        checkName(name, TunnelSearch.MAX_NAME_LENGTH);
        call("tunOut=-" + name);
    }

    /** {@code show=<table>}, with {@code /r=0} (all columns) when {@code allColumns}. */
    public Bmx7Table show(String table, boolean allColumns) throws IOException {
        checkName(table, 32);
        return Bmx7Table.parse(allColumns ? call("show=" + table, "/r=0") : call("show=" + table));
    }

    /** {@code jshow=<table>}: the same table as JSON text. */
    public String jshow(String table) throws IOException {
        checkName(table, 32);
        return call("jshow=" + table);
    }

    /** Every known node's description with sms contents ({@code descriptions /r=0}). */
    public List<Bmx7Description> descriptions() throws IOException {
        return DescriptionsText.parse(call("descriptions", "/r=0"));
    }

    /** {@code show=originators /r=0}: every node with full id, primary address and path metric. */
    public List<Originator> originators() throws IOException {
        return Originator.fromTable(show("originators", true));
    }

    /** {@code parameters}: bmx7's configuration now, options set through this socket included. */
    public Bmx7Options parameters() throws IOException {
        return Bmx7Options.parseText(call("parameters"));
    }

    /** {@code show=tunnels}: how bmx7's own tun plugin rates and uses the announced networks. */
    public List<TunnelRow> tunnels() throws IOException {
        return TunnelRow.fromTable(show("tunnels", false));
    }

    private static void checkName(String name, int maxLength) {
        if (!Bmx7Limits.isValidName(name, maxLength)) {
            throw new IllegalArgumentException("'" + name + "' is not a valid bmx7 name");
        }
    }
}
