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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A deliberately unforgiving UAPI client for tests: sends any bytes (with or without a
 * half-close), then reads until a complete reply (ending in errno=N and a blank line), the end of
 * the stream, or a deadline. Never hangs.
 */
public final class RawUapiClient implements AutoCloseable {
    private static final Pattern ERRNO = Pattern.compile("(?:^|\n)errno=(-?\\d+)\n\n");
    public static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** What came back: the text, whether the server closed the stream, whether the deadline passed. */
    public record Reply(String text, boolean closed, boolean timedOut) {
        /** The errno of a complete reply, or null when there was none. */
        public Integer errno() {
            Matcher m = ERRNO.matcher(text);
            return m.find() ? Integer.valueOf(m.group(1)) : null;
        }

        /** The reply without its errno line: the body of a get. */
        public String body() {
            int i = text.lastIndexOf("errno=");
            return i < 0 ? text : text.substring(0, i);
        }

        @Override
        public String toString() {
            String shown = text.length() > 2000 ? text.substring(0, 1000) + "…" + text.substring(text.length() - 500) : text;
            return (closed ? "[closed] " : "") + (timedOut ? "[timed out] " : "") + shown.replace("\n", "\\n");
        }
    }

    private final SocketChannel ch;
    private final Selector selector;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    public RawUapiClient(Path socket) throws IOException {
        ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        ch.configureBlocking(false);
        selector = Selector.open();
    }

    /** One request on a fresh connection, reading one reply. */
    public static Reply exchange(Path socket, String request) throws IOException {
        try (RawUapiClient c = new RawUapiClient(socket)) {
            c.send(request.getBytes(StandardCharsets.UTF_8));
            return c.read(TIMEOUT);
        }
    }

    /** One request on a fresh connection whose write side is then shut down. */
    public static Reply exchangeHalfClosed(Path socket, String request) throws IOException {
        try (RawUapiClient c = new RawUapiClient(socket)) {
            c.send(request.getBytes(StandardCharsets.UTF_8));
            c.shutdownOutput();
            return c.read(TIMEOUT);
        }
    }

    /**
     * Sends all of {@code data}, reading whatever the server says meanwhile (so neither side can
     * block the other). Returns false when the server closed the connection before taking it all.
     */
    public boolean send(byte[] data) throws IOException {
        ByteBuffer out = ByteBuffer.wrap(data);
        ByteBuffer in = ByteBuffer.allocate(8192);
        long deadline = System.nanoTime() + TIMEOUT.toNanos() * 3;
        ch.register(selector, SelectionKey.OP_WRITE | SelectionKey.OP_READ);
        try {
            while (out.hasRemaining()) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("could not send the request within " + TIMEOUT.multipliedBy(3));
                }
                selector.select(100);
                selector.selectedKeys().clear();
                try {
                    ch.write(out);
                } catch (IOException e) {
                    return false;
                }
                int n = ch.read(in);
                if (n > 0) {
                    pending.write(in.array(), 0, n);
                    in.clear();
                } else if (n < 0) {
                    return !out.hasRemaining();
                }
            }
            return true;
        } finally {
            ch.keyFor(selector).cancel();
            selector.selectNow();
        }
    }

    public void shutdownOutput() throws IOException {
        ch.shutdownOutput();
    }

    /** Reads until a complete reply, the end of the stream, or {@code timeout}. */
    public Reply read(Duration timeout) throws IOException {
        ByteBuffer in = ByteBuffer.allocate(256 * 1024);
        long deadline = System.nanoTime() + timeout.toNanos();
        ch.register(selector, SelectionKey.OP_READ);
        try {
            while (true) {
                // only a reply's last bytes can complete it: look at the text once it ends in a blank line
                byte[] raw = pending.toByteArray();
                boolean complete = raw.length >= 2 && raw[raw.length - 1] == '\n' && raw[raw.length - 2] == '\n';
                String text = complete || raw.length < 64 * 1024 ? new String(raw, StandardCharsets.UTF_8) : null;
                Matcher m = text == null ? null : ERRNO.matcher(text);
                if (m != null && m.find()) {
                    // one reply; what follows it belongs to the next
                    pending.reset();
                    pending.writeBytes(text.substring(m.end()).getBytes(StandardCharsets.UTF_8));
                    return new Reply(text.substring(0, m.end()), false, false);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return new Reply(pending.toString(StandardCharsets.UTF_8), false, true);
                }
                selector.select(Math.max(1, left / 1_000_000));
                selector.selectedKeys().clear();
                int n;
                try {
                    n = ch.read(in);
                } catch (IOException e) {
                    n = -1;
                }
                if (n < 0) {
                    String all = pending.toString(StandardCharsets.UTF_8);
                    pending.reset();
                    return new Reply(all, true, false);
                }
                pending.write(in.array(), 0, n);
                in.clear();
            }
        } finally {
            ch.keyFor(selector).cancel();
            selector.selectNow();
        }
    }

    /** Whether the server closes the connection (end of stream) within {@code timeout}, saying nothing more. */
    public boolean closedWithin(Duration timeout) throws IOException {
        Reply r = read(timeout);
        return r.closed() && r.text().isEmpty();
    }

    @Override
    public void close() throws IOException {
        selector.close();
        ch.close();
    }
}
