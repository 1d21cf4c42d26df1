package io.cryptun.cli.uapi;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A client of the UAPI socket, for `cryptun show` and tests: one operation per connection, as wg does. */
public final class UapiClient {
    private UapiClient() {
    }

    /**
     * How long a reply may stay silent. A socket whose daemon still holds it but no longer serves it
     * (its accept loop died, or it is stopped) accepts the connection into its backlog and never
     * answers; without a limit `cryptun show` would wait for it forever, and with it for every other
     * interface. A live daemon answers a get for thousands of peers well within this.
     */
    public static final Duration SILENCE_LIMIT = Duration.ofSeconds(5);

    /** Sends {@code request} and returns the reply up to and including its blank line. */
    public static String exchange(Path socket, String request) throws IOException {
        return exchange(socket, request, SILENCE_LIMIT);
    }

    /**
     * Sends {@code request} and returns the reply up to and including its blank line; throws
     * {@link SilentSocketException} when the socket neither takes the request nor says anything for
     * {@code silenceLimit}.
     */
    public static String exchange(Path socket, String request, Duration silenceLimit) throws IOException {
        long limitMillis = Math.max(1, silenceLimit.toMillis());
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                Selector selector = Selector.open()) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.configureBlocking(false);
            SelectionKey key = ch.register(selector, SelectionKey.OP_WRITE);
            ByteBuffer out = ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) {
                if (ch.write(out) == 0) {
                    await(selector, limitMillis, socket);
                }
            }
            key.interestOps(SelectionKey.OP_READ);
            ByteArrayOutputStream reply = new ByteArrayOutputStream();
            ByteBuffer in = ByteBuffer.allocate(8192);
            while (true) {
                in.clear();
                int n = ch.read(in);
                if (n < 0) {
                    break;
                }
                if (n == 0) {
                    await(selector, limitMillis, socket);
                    continue;
                }
                reply.write(in.array(), 0, n);
                String s = reply.toString(StandardCharsets.UTF_8);
                if (s.endsWith("\n\n") && s.contains("errno=")) {
                    break;
                }
            }
            return reply.toString(StandardCharsets.UTF_8);
        }
    }

    /** The socket answered nothing for the silence limit: a daemon that holds it but does not serve it. */
    public static final class SilentSocketException extends IOException {
        private static final long serialVersionUID = 1L;

        SilentSocketException(String message) {
            super(message);
        }
    }

    private static void await(Selector selector, long limitMillis, Path socket) throws IOException {
        selector.selectedKeys().clear();
        long deadline = System.nanoTime() + limitMillis * 1_000_000L;
        while (selector.select(limitMillis) == 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new SilentSocketException("no answer on " + socket + " within " + limitMillis + " ms");
            }
            limitMillis = Math.max(1, left / 1_000_000L);
        }
    }

    /** The reply's key=value lines in order (repeated keys kept), without errno; throws on a non-zero errno. */
    public static List<Map.Entry<String, String>> lines(String reply) throws IOException {
        List<Map.Entry<String, String>> out = new ArrayList<>();
        for (String line : reply.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq < 0) {
                throw new IOException("malformed reply line: " + line);
            }
            String k = line.substring(0, eq);
            String v = line.substring(eq + 1);
            if (k.equals("errno")) {
                if (!v.equals("0")) {
                    throw new IOException("errno=" + v);
                }
                continue;
            }
            out.add(Map.entry(k, v));
        }
        return out;
    }

    public static Map<String, String> map(String reply) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : lines(reply)) {
            m.put(e.getKey(), e.getValue());
        }
        return m;
    }
}
