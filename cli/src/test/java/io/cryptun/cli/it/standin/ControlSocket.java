package io.cryptun.cli.it.standin;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * bmx7's control socket framing: one request per connection, the arguments joined by spaces and
 * ended by {@code "  #"} (a single space before {@code #} is accepted too); the reply is written in
 * small pieces, as bmx7 does, and the connection closed. The handler gets the request without its
 * end marker and returns the complete reply ({@code $}-terminated on success, not on error).
 */
final class ControlSocket implements AutoCloseable {
    private static final int PIECE = 37;
    private final Path path;
    private final ServerSocketChannel server;
    private final Thread thread;
    private final Function<String, byte[]> handler;

    ControlSocket(Path path, Function<String, byte[]> handler, String threadName) throws IOException {
        this.path = path;
        this.handler = handler;
        Files.deleteIfExists(path);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        thread = new Thread(this::serve, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    private void serve() {
        while (server.isOpen()) {
            try (SocketChannel ch = server.accept()) {
                String req = readRequest(ch);
                if (req == null) {
                    continue;
                }
                byte[] reply = handler.apply(req);
                for (int off = 0; off < reply.length; off += PIECE) {
                    ByteBuffer piece = ByteBuffer.wrap(reply, off, Math.min(PIECE, reply.length - off));
                    while (piece.hasRemaining()) {
                        ch.write(piece);
                    }
                }
            } catch (IOException | RuntimeException e) {
                // a client that went away, or the server closing
            }
        }
    }

    /** Reads up to the end marker '#', as bmx7 does; null when the client sent none. */
    private static String readRequest(SocketChannel ch) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (out.size() <= 2000) {
            one.clear();
            if (ch.read(one) < 0) {
                return null;
            }
            if (one.get(0) == '#') {
                String s = out.toString(StandardCharsets.US_ASCII);
                return s.endsWith("  ") ? s.substring(0, s.length() - 2) : s.endsWith(" ") ? s.substring(0, s.length() - 1) : s;
            }
            out.write(one.get(0));
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        server.close();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Files.deleteIfExists(path);
    }
}
