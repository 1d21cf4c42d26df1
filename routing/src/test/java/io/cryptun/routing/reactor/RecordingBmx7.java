package io.cryptun.routing.reactor;

import io.cryptun.routing.bmx7.Bmx7Configuration;
import io.cryptun.routing.bmx7.Bmx7Options;

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
 * request (without the {@code "  #"} end marker) and applies it to a {@link Bmx7Configuration}
 * (bmx7's rules: what bmx7 refuses is refused), answering as bmx7 does, and rewrites
 * {@code json/parameters} after each change as the json plugin does. Requests it is told to
 * refuse get an {@code ERROR} line without {@code $}. It starts from the configuration in the
 * runtime directory's {@code json/parameters}, less the settings cryptun makes itself (the
 * captured file holds node A's syncSms=cryptun).
 */
final class RecordingBmx7 implements AutoCloseable {
    private final Path socket;
    private final Path parametersFile;
    private final ServerSocketChannel server;
    private final Thread thread;
    private final List<String> requests = new ArrayList<>();
    private volatile Predicate<String> refuse = r -> false;
    private final java.util.Map<String, byte[]> answers = new java.util.concurrent.ConcurrentHashMap<>();
    private final Bmx7Options start;
    private final Bmx7Configuration config;

    RecordingBmx7(Path runtimeDir) throws IOException {
        socket = runtimeDir.resolve("sock");
        parametersFile = runtimeDir.resolve("json/parameters");
        Bmx7Configuration c = Files.exists(parametersFile)
                ? new Bmx7Configuration(Bmx7Options.parse(Files.readString(parametersFile))) : new Bmx7Configuration();
        for (Bmx7Options.Instance i : c.snapshot().get("syncSms")) {
            c.apply("syncSms=-" + i.value());
        }
        start = c.snapshot();
        config = new Bmx7Configuration(start);
        writeParameters();
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

    /** bmx7 restarting without a new socket file (what ext4 often gives: the new socket gets the old inode). */
    synchronized void restartKeepingTheSocket() throws IOException {
        config.reset(start);
        writeParameters();
    }

    synchronized Bmx7Options parameters() {
        return config.snapshot();
    }

    private void writeParameters() throws IOException {
        if (Files.isDirectory(parametersFile.getParent())) {
            Files.writeString(parametersFile, config.parametersJson(), StandardCharsets.US_ASCII);
        }
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
                byte[] reply = answers.get(req);
                if (reply == null) {
                    reply = answer(req);
                }
                ByteBuffer out = ByteBuffer.wrap(reply);
                while (out.hasRemaining()) {
                    ch.write(out);
                }
            } catch (IOException e) {
                // client gone or server closed
            }
        }
    }

    private synchronized byte[] answer(String req) throws IOException {
        if (req.equals("parameters")) {
            return config.parametersText().getBytes(StandardCharsets.US_ASCII);
        }
        requests.add(req);
        if (refuse.test(req)) {
            return ("ERROR apply_stream_opts: invalid argument: " + req + "\n").getBytes(StandardCharsets.US_ASCII);
        }
        Bmx7Configuration.Reply r = config.apply(req);
        if (r.changed()) {
            writeParameters();
        }
        return r.bytes();
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
