package io.cryptun.routing.reactor;

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
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * A bmx7 control socket at {@code <runtimeDir>/sock} that accepts option changes: it records each
 * request (without the {@code "  #"} end marker) and answers as bmx7 does, an {@code INFO} line
 * and {@code $}, or, for requests it is told to refuse, an {@code ERROR} line without {@code $}.
 */
final class RecordingBmx7 implements AutoCloseable {
    private final Path socket;
    private final ServerSocketChannel server;
    private final Thread thread;
    private final List<String> requests = new ArrayList<>();
    private volatile Predicate<String> refuse = r -> false;
    private final java.util.Map<String, byte[]> answers = new java.util.concurrent.ConcurrentHashMap<>();

    RecordingBmx7(Path runtimeDir) throws IOException {
        socket = runtimeDir.resolve("sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        thread = new Thread(this::serve, "ctms-recording-bmx7");
        thread.setDaemon(true);
        thread.start();
    }

    void refuse(Predicate<String> which) {
        refuse = which;
    }

    /** Answers {@code request} with these captured bytes (they end in {@code $} or not, as bmx7 sent them). */
    void answer(String request, byte[] reply) {
        answers.put(request, reply.clone());
    }

    synchronized List<String> requests() {
        return List.copyOf(requests);
    }

    synchronized void clear() {
        requests.clear();
    }

    private void serve() {
        while (server.isOpen()) {
            try (SocketChannel ch = server.accept()) {
                String req = readRequest(ch);
                if (!answers.containsKey(req)) {
                    synchronized (this) {
                        requests.add(req);
                    }
                }
                byte[] canned = answers.get(req);
                String reply = refuse.test(req) ? "ERROR apply_stream_opts: invalid argument: " + req + "\n"
                        : "INFO  : --" + req + "\n$";
                ByteBuffer out = ByteBuffer.wrap(canned != null ? canned : reply.getBytes(StandardCharsets.US_ASCII));
                while (out.hasRemaining()) {
                    ch.write(out);
                }
            } catch (IOException e) {
                // client gone or server closed
            }
        }
    }

    private static String readRequest(SocketChannel ch) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (out.size() < 4096) {
            one.clear();
            if (ch.read(one) < 0) {
                break;
            }
            if (one.get(0) == '#') {
                break;
            }
            out.write(one.get(0));
        }
        String s = out.toString(StandardCharsets.US_ASCII);
        return s.endsWith("  ") ? s.substring(0, s.length() - 2) : s.strip();
    }

    @Override
    public void close() throws IOException, InterruptedException {
        server.close();
        thread.join(5000);
        Files.deleteIfExists(socket);
    }
}
