package io.cryptun.cli.uapi;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.cryptun.noise.device.Device;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
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
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzzes one UAPI connection's framing and operations: the input is everything a client writes
 * on the socket before closing its side. Served by a real {@link UapiConnection} over a real Unix
 * socket, against a real protocol core limited to {@value #MAX_PEERS} peers.
 *
 * <p>After each input: the connection ended by itself within {@value #DEADLINE_MS} ms of the
 * client's half-close (no hang) and threw nothing; the reply is a sequence of well-formed
 * answers (key=value lines then errno=N and a blank line); the peer limit held; no log line
 * quotes a private or preshared key value from the input.
 */
class UapiStreamFuzzTest {
    static final int MAX_PEERS = 4;
    static final long DEADLINE_MS = 5000;
    private static final Pattern REPLY = Pattern.compile("(?:(?:[a-z_0-9]+=[^\\n]*\\n)*errno=-?[0-9]+\\n\\n)*");
    private static final Device DEVICE = Device.builder().build();
    private static final UapiProtocol PROTOCOL = new UapiProtocol(new InMemoryUapiTarget(DEVICE), MAX_PEERS);
    private static final ServerSocketChannel SERVER;
    private static final Path DIR;

    static {
        try {
            DIR = Files.createTempDirectory("cthd-uapi-fuzz");
            DIR.toFile().deleteOnExit();
            Path sock = DIR.resolve("s");
            SERVER = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            SERVER.bind(UnixDomainSocketAddress.of(sock));
            sock.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @MethodSource("seeds")
    @FuzzTest(maxDuration = "30s")
    void stream(byte[] input) throws Exception {
        List<String> log = new ArrayList<>();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        String reply;
        try (SocketChannel client = SocketChannel.open(SERVER.getLocalAddress())) {
            SocketChannel served = SERVER.accept();
            UapiConnection conn = new UapiConnection(served, PROTOCOL, line -> {
                synchronized (log) {
                    log.add(line);
                }
            });
            Thread t = new Thread(() -> {
                try {
                    conn.run();
                } catch (Throwable e) {
                    thrown.set(e);
                }
            }, "cthd-uapi-fuzz");
            t.setDaemon(true);
            t.start();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Thread reader = new Thread(() -> readAll(client, out), "cthd-uapi-fuzz-reader");
            reader.setDaemon(true);
            reader.start();
            ByteBuffer b = ByteBuffer.wrap(input);
            try {
                while (b.hasRemaining()) {
                    client.write(b);
                }
                client.shutdownOutput();
            } catch (IOException e) {
                // the server may hang up early (an unknown operation, a line too long): fine
            }
            t.join(DEADLINE_MS);
            if (t.isAlive()) {
                conn.close();
                fail("the connection did not end within " + DEADLINE_MS + " ms of the client's half-close");
            }
            reader.join(DEADLINE_MS);
            reply = out.toString(StandardCharsets.UTF_8);
        }
        if (thrown.get() != null) {
            fail("the connection threw", thrown.get());
        }
        assertTrue(REPLY.matcher(reply).matches(), "malformed reply: " + reply);
        assertTrue(DEVICE.peerCount() <= MAX_PEERS, "peer limit");
        String text = new String(input, StandardCharsets.UTF_8);
        synchronized (log) {
            for (String line : log) {
                assertTrue(line.indexOf('\n') < 0, "one-line log entry");
                SetRequestFuzzTest.assertNoSecretQuoted(text, line);
            }
        }
    }

    private static void readAll(SocketChannel c, ByteArrayOutputStream out) {
        ByteBuffer b = ByteBuffer.allocate(8192);
        try {
            while (c.read(b) >= 0) {
                out.write(b.array(), 0, b.position());
                b.clear();
            }
        } catch (IOException e) {
            // reset by the server: what was read is the reply
        }
    }

    static Stream<Arguments> seeds() {
        return UapiSeeds.streams().stream().map(s -> Arguments.of((Object) s.getBytes(StandardCharsets.UTF_8)));
    }
}
