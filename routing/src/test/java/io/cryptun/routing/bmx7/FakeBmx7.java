package io.cryptun.routing.bmx7;

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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;

/**
 * A stand-in for bmx7's control socket that replays captured transcripts: it expects the requests
 * in order, compares each byte for byte, and answers with the captured reply in small pieces
 * (bmx7 sends many small writes) before closing, as bmx7 does.
 */
final class FakeBmx7 implements AutoCloseable {
    enum Mode { REPLAY, SILENT, ENDLESS }

    private final Path dir;
    private final Path socket;
    private final ServerSocketChannel server;
    private final Thread thread;
    private final Mode mode;
    private final Deque<byte[][]> script = new ArrayDeque<>();
    private final List<byte[]> received = new ArrayList<>();
    private final List<String> mismatches = new ArrayList<>();

    FakeBmx7(Mode mode) throws IOException {
        this.mode = mode;
        dir = Files.createTempDirectory("ctbmx");
        socket = dir.resolve("sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        thread = new Thread(this::serve, "ctbmx-fake-bmx7");
        thread.setDaemon(true);
        thread.start();
    }

    Path socket() {
        return socket;
    }

    synchronized void expect(byte[] request, byte[] reply) {
        script.add(new byte[][] {request, reply});
    }

    synchronized List<byte[]> received() {
        return List.copyOf(received);
    }

    synchronized List<String> mismatches() {
        return List.copyOf(mismatches);
    }

    private void serve() {
        while (server.isOpen()) {
            try (SocketChannel ch = server.accept()) {
                byte[] req = readRequest(ch);
                byte[] reply;
                synchronized (this) {
                    received.add(req);
                    byte[][] next = script.poll();
                    if (mode != Mode.REPLAY) {
                        reply = null;
                    } else if (next == null || !Arrays.equals(next[0], req)) {
                        mismatches.add(new String(req, StandardCharsets.ISO_8859_1));
                        reply = "ERROR fake bmx7: unexpected request\n".getBytes(StandardCharsets.US_ASCII);
                    } else {
                        reply = next[1];
                    }
                }
                if (mode == Mode.SILENT) {
                    while (ch.read(ByteBuffer.allocate(64)) >= 0) {
                        // hold the connection open until the client gives up
                    }
                } else if (mode == Mode.ENDLESS) {
                    ByteBuffer junk = ByteBuffer.wrap(new byte[4096]);
                    while (true) {
                        junk.clear();
                        ch.write(junk);
                    }
                } else {
                    for (int off = 0; off < reply.length; off += 61) {
                        ch.write(ByteBuffer.wrap(reply, off, Math.min(61, reply.length - off)));
                    }
                }
            } catch (IOException e) {
                // client went away or the server was closed
            }
        }
    }

    /** Reads until bmx7's end marker '#', as the daemon does. */
    private static byte[] readRequest(SocketChannel ch) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (out.size() < 4096) {
            one.clear();
            if (ch.read(one) < 0) {
                break;
            }
            out.write(one.get(0));
            if (one.get(0) == '#') {
                break;
            }
        }
        return out.toByteArray();
    }

    @Override
    public void close() throws IOException, InterruptedException {
        server.close();
        thread.interrupt();
        thread.join(5000);
        Files.deleteIfExists(socket);
        Files.deleteIfExists(dir);
    }
}
