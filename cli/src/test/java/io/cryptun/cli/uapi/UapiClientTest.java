package io.cryptun.cli.uapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The client's silence limit: a reply that stalls fails with a clear error, a slow but moving one does not. */
class UapiClientTest {
    @TempDir
    Path dir;

    /** A socket bound at {@code p} and listening; nothing accepts until a test serves it. */
    private static ServerSocketChannel listening(Path p) throws java.io.IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(p));
        return server;
    }

    /** A server that takes one connection, reads the request and sends {@code parts} with a pause between them. */
    private CompletableFuture<String> serve(ServerSocketChannel server, long pauseMillis, String... parts) {
        return CompletableFuture.supplyAsync(() -> {
            try (SocketChannel c = server.accept()) {
                ByteBuffer in = ByteBuffer.allocate(256);
                StringBuilder request = new StringBuilder();
                while (!request.toString().endsWith("\n\n")) {
                    in.clear();
                    if (c.read(in) < 0) {
                        break;
                    }
                    request.append(new String(in.array(), 0, in.position(), StandardCharsets.UTF_8));
                }
                for (String part : parts) {
                    c.write(ByteBuffer.wrap(part.getBytes(StandardCharsets.UTF_8)));
                    Thread.sleep(pauseMillis);
                }
                // hold the connection open a while: the client must not wait for the close
                Thread.sleep(pauseMillis);
                return request.toString();
            } catch (IOException | InterruptedException e) {
                throw new RuntimeException(e);
            }
        });
    }

    @Test
    @Timeout(30)
    void aReplyThatStopsHalfwayFailsAfterTheSilenceLimit() throws Exception {
        Path p = dir.resolve("stall.sock");
        try (ServerSocketChannel server = listening(p)) {
            CompletableFuture<String> got = serve(server, 1_000, "listen_port=51820\n");
            long t0 = System.nanoTime();
            UapiClient.SilentSocketException e = assertThrows(UapiClient.SilentSocketException.class,
                    () -> UapiClient.exchange(p, "get=1\n\n", Duration.ofMillis(300)));
            long took = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(took >= 290 && took < 2_500, took + " ms");
            assertTrue(e.getMessage().contains("no answer on " + p + " within 300 ms"), e.getMessage());
            assertEquals("get=1\n\n", got.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    @Timeout(30)
    void aSocketNobodyServesFailsAfterTheSilenceLimit() throws Exception {
        Path p = dir.resolve("backlog.sock");
        try (ServerSocketChannel server = listening(p)) {
            assertThrows(UapiClient.SilentSocketException.class,
                    () -> UapiClient.exchange(p, "get=1\n\n", Duration.ofMillis(200)));
        }
    }

    @Test
    @Timeout(30)
    void aSlowReplyThatKeepsComingIsReadWhole() throws Exception {
        Path p = dir.resolve("slow.sock");
        try (ServerSocketChannel server = listening(p)) {
            // three pauses of 150 ms: more in total than the limit, less than it each
            serve(server, 150, "listen_port=51820\n", "fwmark=0\n", "errno=0\n\n");
            String reply = UapiClient.exchange(p, "get=1\n\n", Duration.ofMillis(400));
            assertEquals("listen_port=51820\nfwmark=0\nerrno=0\n\n", reply);
        }
    }
}
