package io.cryptun.cli.it.standin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.routing.NodeId;
import io.cryptun.routing.TunNetwork;
import io.cryptun.routing.bmx7.Bmx7ControlClient;
import io.cryptun.routing.bmx7.Bmx7Description;
import io.cryptun.routing.bmx7.Bmx7JsonDirectory;
import io.cryptun.routing.bmx7.Originator;
import io.cryptun.routing.bmx7.RcvdSmsDirectory;
import java.io.ByteArrayOutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The bmx7 stand-in answers like the captured transcripts, byte for byte, and writes files that
 * routing's readers take as bmx7's own: node keys that hash to the ids, tunnel networks, sms
 * files, originators with path metrics.
 */
class SyntheticMeshTest {
    private static byte[] exchange(Path socket, byte[] request) throws Exception {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap(request));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteBuffer in = ByteBuffer.allocate(512);
            while (ch.read(in.clear()) >= 0) {
                out.write(in.array(), 0, in.position());
            }
            return out.toByteArray();
        }
    }

    private static void await(String what, BooleanSupplier c) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(20);
        }
    }

    /** The captured transcripts, replayed in the order they were taken, get the captured replies. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"C.tunIn_dyn1_add", "C.tunIn_dyn1_remove", "D.syncSms_add", "A.syncSms_cryptun_again", "D.syncSms_remove",
        "A.error_unknown_option"})
    void repliesAreTheCapturedBytes(String transcript, @TempDir Path dir) throws Exception {
        try (SyntheticMesh mesh = new SyntheticMesh(dir)) {
            StandInNode n = mesh.addNode("nodeC", "10.254.3.1/32", "2001:db8:3::1/64");
            Files.writeString(n.sendSms("cryptun"), "v=1\n");
            // the state each capture was taken in
            switch (transcript) {
                case "C.tunIn_dyn1_remove" -> mesh.operator(n, "tunIn=dyn1 /network=10.77.0.0/16");
                case "A.syncSms_cryptun_again", "D.syncSms_remove" -> mesh.operator(n, "syncSms=cryptun");
                default -> { }
            }
            byte[] request = FixtureFiles.bytes("socket/" + transcript + ".request");
            byte[] reply = exchange(n.socketPath(), request);
            assertEquals(new String(FixtureFiles.bytes("socket/" + transcript + ".reply"), StandardCharsets.US_ASCII),
                    new String(reply, StandardCharsets.US_ASCII));
            String recorded = new String(request, StandardCharsets.US_ASCII);
            assertEquals(List.of(recorded.substring(0, recorded.length() - 3)), n.requests());
        }
    }

    @Test
    void bmx7sReadersTakeWhatItWrites(@TempDir Path dir) throws Exception {
        try (SyntheticMesh mesh = new SyntheticMesh(dir)) {
            StandInNode a = mesh.addNode("nodeA", "10.254.1.1/32", "2001:db8:1::1/64");
            StandInNode b = mesh.addNode("nodeB", "10.254.2.1/32", "2001:db8:2::1/64");
            StandInNode c = mesh.addNode("nodeC", "10.254.3.1/32", "2001:db8:3::1/64");
            mesh.link(a, b, 999_000_000L);
            mesh.link(b, c, 706_000_000L);
            byte[] record = "v=1 key=fINURjjn4Vk161A9HtSKZ1SS4df5eXVwzwPToG6uqXk= port=51820 tun4=10.254.1.1/32\n"
                    .getBytes(StandardCharsets.US_ASCII);
            Files.write(a.sendSms("cryptun"), record);
            Bmx7ControlClient clientA = new Bmx7ControlClient(a.socketPath(), Duration.ofSeconds(5));
            clientA.syncSms("cryptun");
            new Bmx7ControlClient(c.socketPath(), Duration.ofSeconds(5))
                    .tunIn("gw4", IpPrefix.parse("10.99.0.0/16"), 32_000_000);

            Path atC = c.runtimeDir;
            await("C holds A's record", () -> Files.exists(c.rcvdSms(a.id, "cryptun")));
            Bmx7JsonDirectory.Snapshot s = new Bmx7JsonDirectory(atC.resolve("json")).read();
            assertEquals(List.of(), List.copyOf(s.unreadable().keySet()));
            assertEquals(c.id, s.self());
            assertEquals(java.util.Set.of(a.id, b.id, c.id), s.descriptions().keySet(), "node keys hash to their ids");
            Bmx7Description da = s.descriptions().get(a.id);
            assertTrue(da.carriesSms("cryptun"));
            assertEquals("nodeA", da.hostname());
            assertTrue(da.announcesPrimaryAddress());
            assertEquals(List.of(TunNetwork.of(IpPrefix.parse("10.254.1.1/32"), io.cryptun.routing.bmx7.Bmx7Numbers.UMETRIC_MAX),
                    TunNetwork.of(IpPrefix.parse("2001:db8:1::/64"), io.cryptun.routing.bmx7.Bmx7Numbers.UMETRIC_MAX)),
                    da.tunNetworks());
            assertTrue(s.descriptions().get(c.id).tunNetworks().contains(TunNetwork.of(IpPrefix.parse("10.99.0.0/16"),
                    31_457_280L)), "bandwidth on bmx7's 8-bit grid");
            assertFalse(s.descriptions().get(b.id).carriesSms("cryptun"));
            Originator oa = s.originators().get(a.id);
            assertEquals(706_000_000L, oa.pathMetric(), "the narrowest link of the path");
            assertEquals(2, oa.hops());
            assertTrue(oa.primaryIpMatchesId());
            assertArrayEquals(record, new RcvdSmsDirectory(atC.resolve("sms/rcvdSms"), "cryptun").read().get(a.id));
            assertEquals("10.99.0.0/16", s.parameters().get("tunIn").get(0).children().get("network"),
                    "parameters shows the options set through the socket");

            // a withdrawal reaches the others at once; a node taken away vanishes
            clientA.removeSyncSms("cryptun");
            await("C no longer holds A's record", () -> !Files.exists(c.rcvdSms(a.id, "cryptun")));
            mesh.takeAway(a);
            assertFalse(Files.exists(atC.resolve("json/descriptions/" + a.id)));
            assertEquals(List.of("syncSms=cryptun", "syncSms=-cryptun"), a.requests());
            assertEquals(NodeId.fromNodeKey(6, a.modulus), a.id);
        }
    }
}
