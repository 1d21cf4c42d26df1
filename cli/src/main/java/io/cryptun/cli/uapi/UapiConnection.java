package io.cryptun.cli.uapi;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One client of the UAPI socket: a sequence of get=1 / set=1 operations, each answered with
 * errno=N and a blank line. An unknown operation closes the connection without a reply, as
 * wireguard-go does. Lines and requests are bounded so no client can exhaust memory.
 */
public final class UapiConnection implements Runnable {
    static final int MAX_LINE = 4096;
    static final long MAX_REQUEST_BYTES = 32L << 20;
    /** Not part of the cross-platform protocol: cryptun's counters, asked for by `cryptun show`. */
    public static final String STATS_OP = "cryptun_stats=1";

    private final SocketChannel channel;
    private final UapiProtocol protocol;
    private final Consumer<String> log;
    private final ByteBuffer in = ByteBuffer.allocate(16 * 1024);
    private final byte[] line = new byte[MAX_LINE];
    private int lineLen;
    private long requestBytes;
    volatile long lastActivity = System.nanoTime();

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
                    return;
                }
                if (op == null) {
                    return;
                }
                if (op.equals("get=1")) {
                    String next = readLine();
                    if (next == null) {
                        return;
                    }
                    if (!next.isEmpty()) {
                        reply("errno=" + UapiErrno.EINVAL + "\n\n");
                        continue;
                    }
                    reply(protocol.get() + "errno=0\n\n");
                } else if (op.equals("set=1")) {
                    handleSet();
                } else if (op.equals(STATS_OP)) {
                    // cryptun's own extension (other clients never send it): counters for `cryptun show`
                    String next = readLine();
                    if (next == null) {
                        return;
                    }
                    reply(protocol.stats() + "errno=0\n\n");
                } else {
                    log.accept("invalid UAPI operation, closing the connection");
                    return;
                }
            }
        } catch (IOException e) {
            // the client went away: nothing to answer
        }
    }

    private void handleSet() throws IOException {
        List<String> lines = new ArrayList<>();
        UapiException early = null;
        while (true) {
            String l;
            try {
                l = readLine();
            } catch (TooLong e) {
                // the request cannot be framed any more: answer and hang up
                reply("errno=" + UapiErrno.EPROTO + "\n\n");
                throw e;
            }
            if (l == null) {
                // half-closed before the blank line: wireguard-go applies what it read; we refuse
                // the incomplete request instead, which leaves the state as it was
                return;
            }
            if (l.isEmpty()) {
                break;
            }
            if (early == null) {
                lines.add(l);
            }
        }
        int errno = 0;
        try {
            protocol.set(SetRequest.parse(lines));
        } catch (UapiException e) {
            errno = e.errno();
            log.accept("UAPI set refused: " + e.getMessage());
        } catch (RuntimeException e) {
            errno = UapiErrno.ENOANO;
            log.accept("UAPI set failed: " + e);
        }
        reply("errno=" + errno + "\n\n");
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
                int n = channel.read(in);
                in.flip();
                if (n < 0) {
                    return null;
                }
                lastActivity = System.nanoTime();
                continue;
            }
            byte b = in.get();
            requestBytes++;
            if (requestBytes > MAX_REQUEST_BYTES) {
                throw new TooLong("request too large");
            }
            if (b == '\n') {
                return new String(line, 0, lineLen, StandardCharsets.UTF_8);
            }
            if (lineLen == MAX_LINE) {
                throw new TooLong("line too long");
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
