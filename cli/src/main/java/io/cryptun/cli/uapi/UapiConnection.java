package io.cryptun.cli.uapi;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * One client of the UAPI socket: a sequence of get=1 / set=1 operations, each answered with
 * errno=N and a blank line. An unknown operation closes the connection without a reply, as
 * wireguard-go does. Lines and requests are bounded so no client can exhaust memory: a line
 * past MAX_LINE is refused with -EIO (what wireguard-go's line scanner answers for a line past
 * its 64 KiB), a request past MAX_REQUEST_BYTES likewise; either way the connection is then closed,
 * since the rest of the stream can no longer be framed.
 */
public final class UapiConnection implements Runnable {
    /** The longest line: wireguard-go's bufio.Scanner limit (64 KiB including the '\n'). */
    static final int MAX_LINE = 64 * 1024 - 1;
    /**
     * The largest set request. Legitimate ones are far smaller (130 561 allowed IPs, the kernel
     * selftest's largest, take 3.3 MB); parsed, a full one takes about four times its size in heap.
     */
    static final long MAX_REQUEST_BYTES = 16L << 20;
    /** Not part of the cross-platform protocol: cryptun's counters, asked for by `cryptun show`. */
    public static final String STATS_OP = "cryptun_stats=1";

    private final SocketChannel channel;
    private final UapiProtocol protocol;
    private final Consumer<String> log;
    private final ByteBuffer in = ByteBuffer.allocate(16 * 1024);
    private byte[] line = new byte[256];
    private int lineLen;
    private long requestBytes;
    volatile long lastActivity = System.nanoTime();
    /** True while blocked waiting for the client's bytes (as opposed to working on its request). */
    volatile boolean waitingForInput;

    UapiConnection(SocketChannel channel, UapiProtocol protocol, Consumer<String> log) {
        this.channel = channel;
        this.protocol = protocol;
        this.log = log;
        in.flip();
    }

    /** Thrown for a line past MAX_LINE or a request past MAX_REQUEST_BYTES. */
    private static final class TooLong extends IOException {
        TooLong(String what) {
            super(what);
        }
    }

    @Override
    public void run() {
        try (channel) {
            while (true) {
                requestBytes = 0;
                String op;
                try {
                    op = readLine();
                } catch (TooLong e) {
                    log.accept("invalid UAPI operation (" + e.getMessage() + "), closing the connection");
                    return;
                }
                if (op == null) {
                    return;
                }
                if (op.equals("get=1")) {
                    if (!handleGet()) {
                        return;
                    }
                } else if (op.equals("set=1")) {
                    if (!handleSet()) {
                        return;
                    }
                } else if (op.equals(STATS_OP)) {
                    // cryptun's own extension (other clients never send it): counters for `cryptun show`
                    if (readLine() == null) {
                        return;
                    }
                    reply(protocol.stats() + "errno=0\n\n");
                } else {
                    log.accept("invalid UAPI operation, closing the connection");
                    return;
                }
            }
        } catch (IOException e) {
            // the client went away, or its stream cannot be framed: nothing more to answer
        }
    }

    /** A get: the next line must be empty. Returns false when the connection is to be closed. */
    private boolean handleGet() throws IOException {
        String next = readLine();
        if (next == null) {
            // half-closed before the blank line: wireguard-go closes without a reply too
            return false;
        }
        if (!next.isEmpty()) {
            log.accept("UAPI get refused: trailing characters");
            reply("errno=" + UapiErrno.EINVAL + "\n\n");
            return true;
        }
        reply(protocol.get() + "errno=0\n\n");
        return true;
    }

    /**
     * A set: every line is read and parsed up to the blank line, then the request is applied
     * whole or not at all. Returns false when the connection is to be closed.
     */
    private boolean handleSet() throws IOException {
        SetRequest.Parser parser = new SetRequest.Parser();
        while (true) {
            String l;
            try {
                l = readLine();
            } catch (TooLong e) {
                log.accept("UAPI set refused: " + e.getMessage());
                reply("errno=" + UapiErrno.EIO + "\n\n");
                return false;
            }
            if (l == null) {
                // half-closed before the blank line. wireguard-go applies what it read; an
                // unterminated request may as well be a truncated one, so it is refused whole
                log.accept("UAPI set refused: the request ended without its blank line");
                reply("errno=" + UapiErrno.EPROTO + "\n\n");
                return false;
            }
            if (l.isEmpty()) {
                break;
            }
            parser.line(l);
        }
        int errno = 0;
        try {
            protocol.set(parser.finish());
        } catch (UapiException e) {
            errno = e.errno();
            log.accept("UAPI set refused: " + e.getMessage());
        } catch (RuntimeException e) {
            errno = UapiErrno.ENOANO;
            log.accept("UAPI set failed: " + e);
        }
        reply("errno=" + errno + "\n\n");
        return true;
    }

    private void reply(String s) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
            channel.write(b);
        }
        lastActivity = System.nanoTime();
    }

    /** The next line without its '\n', or null at end of stream. */
    private String readLine() throws IOException {
        lineLen = 0;
        while (true) {
            if (!in.hasRemaining()) {
                in.clear();
                waitingForInput = true;
                int n;
                try {
                    n = channel.read(in);
                } finally {
                    waitingForInput = false;
                }
                in.flip();
                if (n < 0) {
                    return null;
                }
                lastActivity = System.nanoTime();
                continue;
            }
            byte b = in.get();
            if (++requestBytes > MAX_REQUEST_BYTES) {
                throw new TooLong("request longer than " + MAX_REQUEST_BYTES + " bytes");
            }
            if (b == '\n') {
                return new String(line, 0, lineLen, StandardCharsets.UTF_8);
            }
            if (lineLen == MAX_LINE) {
                throw new TooLong("line longer than " + MAX_LINE + " bytes");
            }
            if (lineLen == line.length) {
                line = Arrays.copyOf(line, Math.min(MAX_LINE, line.length * 2));
            }
            line[lineLen++] = b;
        }
    }

    void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // already closed
        }
    }
}
