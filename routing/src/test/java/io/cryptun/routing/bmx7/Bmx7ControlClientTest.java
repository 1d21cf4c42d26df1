package io.cryptun.routing.bmx7;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.routing.Fixtures;
import io.cryptun.routing.NodeId;
import io.cryptun.routing.TunnelSearch;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Bmx7ControlClientTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private static List<String> argsOf(byte[] request) {
        String text = new String(request, StandardCharsets.US_ASCII);
        assertTrue(text.endsWith("  #"), text);
        return Arrays.asList(text.substring(0, text.length() - 3).split(" "));
    }

    @Test
    void replaysEveryCapturedTranscriptByteForByte() throws Exception {
        List<String[]> index = Fixtures.text("socket/INDEX.tsv").lines().filter(l -> !l.startsWith("#"))
                .map(l -> l.split("\t")).toList();
        assertEquals(31, index.size());
        try (FakeBmx7 bmx7 = new FakeBmx7(FakeBmx7.Mode.REPLAY)) {
            for (String[] row : index) {
                bmx7.expect(Fixtures.bytes("socket/" + row[0] + ".request"), Fixtures.bytes("socket/" + row[0] + ".reply"));
            }
            Bmx7ControlClient client = new Bmx7ControlClient(bmx7.socket(), TIMEOUT);
            for (String[] row : index) {
                byte[] request = Fixtures.bytes("socket/" + row[0] + ".request");
                List<String> args = argsOf(request);
                assertArrayEquals(request, Bmx7ControlClient.encodeRequest(args), row[0]);
                Bmx7Reply reply = client.request(args.toArray(String[]::new));
                assertArrayEquals(Fixtures.bytes("socket/" + row[0] + ".reply"), reply.raw(), row[0]);
                assertEquals(row[4].equals("yes"), reply.isSuccess(), row[0]);
            }
            assertEquals(List.of(), bmx7.mismatches());
        }
    }

    @Test
    void optionChangesAreSentExactlyAsBmx7sOwnClientSendsThem() throws Exception {
        try (FakeBmx7 bmx7 = new FakeBmx7(FakeBmx7.Mode.REPLAY)) {
            for (String t : List.of("A.syncSms_cryptun_again", "D.syncSms_remove", "C.tunIn_dyn1_add", "C.tunIn_dyn1_remove")) {
                bmx7.expect(Fixtures.bytes("socket/" + t + ".request"), Fixtures.bytes("socket/" + t + ".reply"));
            }
            Bmx7ControlClient client = new Bmx7ControlClient(bmx7.socket(), TIMEOUT);
            client.syncSms("cryptun");
            client.removeSyncSms("cryptun");
            client.tunIn("dyn1", IpPrefix.parse("10.77.0.0/16"));
            client.removeTunIn("dyn1");
            assertEquals(List.of(), bmx7.mismatches());
            assertEquals(4, bmx7.received().size());
        }
    }

    @Test
    void typedReadsParseTheCapturedReplies() throws Exception {
        try (FakeBmx7 bmx7 = new FakeBmx7(FakeBmx7.Mode.REPLAY)) {
            for (String t : List.of("A.descriptions_r0", "A.show_originators_r0", "A.show_tunnels", "A.jshow_status")) {
                bmx7.expect(Fixtures.bytes("socket/" + t + ".request"), Fixtures.bytes("socket/" + t + ".reply"));
            }
            Bmx7ControlClient client = new Bmx7ControlClient(bmx7.socket(), TIMEOUT);
            List<Bmx7Description> descriptions = client.descriptions();
            assertEquals(4, descriptions.size());
            assertTrue(descriptions.stream().anyMatch(d -> d.smsData("cryptun").isPresent()));
            assertEquals(4, client.originators().size());
            assertEquals(9, client.tunnels().stream().filter(TunnelRow::isActive).count());
            String status = client.jshow("status");
            assertTrue(status.startsWith("{ \"status\""));
            assertFalse(status.endsWith("$"));
            assertEquals(List.of(), bmx7.mismatches());
        }
    }

    @Test
    void errorRepliesBecomeExceptionsWithBmx7sExplanation() throws Exception {
        try (FakeBmx7 bmx7 = new FakeBmx7(FakeBmx7.Mode.REPLAY)) {
            bmx7.expect(Fixtures.bytes("socket/A.error_unknown_show.request"), Fixtures.bytes("socket/A.error_unknown_show.reply"));
            Bmx7ControlClient client = new Bmx7ControlClient(bmx7.socket(), TIMEOUT);
            Bmx7ControlException e = assertThrows(Bmx7ControlException.class, () -> client.show("nosuchtable", false));
            assertTrue(e.getMessage().contains("invalid argument: nosuchtable"), e.getMessage());
            assertEquals(2, e.reply().errorLines().size());
        }
    }

    @Test
    void tunOutIsSentAsBmx7Options() throws Exception {
        TunnelSearch s = TunnelSearch.builder("v4dflt.1", IpPrefix.parse("0.0.0.0/0")).maxPrefixLen(0)
                .gwId(NodeId.parse(Fixtures.D)).build();
        try (FakeBmx7 bmx7 = new FakeBmx7(FakeBmx7.Mode.REPLAY)) {
            byte[] expected = ("tunOut=v4dflt.1 /network=0.0.0.0/0 /maxPrefixLen=0 /gwId=" + Fixtures.D + "  #")
                    .getBytes(StandardCharsets.US_ASCII);
            bmx7.expect(expected, "INFO  : --tunOut v4dflt.1\n$".getBytes(StandardCharsets.US_ASCII));
            bmx7.expect("tunOut=-v4dflt.1  #".getBytes(StandardCharsets.US_ASCII), "$".getBytes(StandardCharsets.US_ASCII));
            Bmx7ControlClient client = new Bmx7ControlClient(bmx7.socket(), TIMEOUT);
            client.tunOut(s);
            client.removeTunOut("v4dflt.1");
            assertEquals(List.of(), bmx7.mismatches());
        }
    }

    @Test
    void aSilentDaemonTimesOut() throws Exception {
        try (FakeBmx7 bmx7 = new FakeBmx7(FakeBmx7.Mode.SILENT)) {
            Bmx7ControlClient client = new Bmx7ControlClient(bmx7.socket(), Duration.ofMillis(300));
            assertThrows(SocketTimeoutException.class, () -> client.request("show=status"));
        }
    }

    @Test
    void anEndlessReplyIsCutOff() throws Exception {
        try (FakeBmx7 bmx7 = new FakeBmx7(FakeBmx7.Mode.ENDLESS)) {
            Bmx7ControlClient client = new Bmx7ControlClient(bmx7.socket(), TIMEOUT, 100_000);
            IOException e = assertThrows(IOException.class, () -> client.request("show=status"));
            assertTrue(e.getMessage().contains("exceeds"), e.getMessage());
        }
    }

    @Test
    void aMissingSocketIsAClearError() throws Exception {
        Path dir = Files.createTempDirectory("ctbmx");
        try {
            Bmx7ControlClient client = new Bmx7ControlClient(dir.resolve("sock"), TIMEOUT);
            IOException e = assertThrows(IOException.class, () -> client.request("show=status"));
            assertTrue(e.getMessage().contains("cannot connect"), e.getMessage());
        } finally {
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void requestsBmx7CannotCarryAreRefusedBeforeSending() {
        assertThrows(IllegalArgumentException.class, () -> Bmx7ControlClient.encodeRequest(List.of()));
        assertThrows(IllegalArgumentException.class, () -> Bmx7ControlClient.encodeRequest(List.of("show=status #")));
        assertThrows(IllegalArgumentException.class, () -> Bmx7ControlClient.encodeRequest(List.of("a\nb")));
        assertThrows(IllegalArgumentException.class, () -> Bmx7ControlClient.encodeRequest(List.of("x".repeat(2000))));
        assertThrows(IllegalArgumentException.class, () -> Bmx7ControlClient.encodeRequest(List.of(" ")));
        Bmx7ControlClient client = new Bmx7ControlClient(Path.of("/nonexistent/ctbmx"), TIMEOUT);
        assertThrows(IllegalArgumentException.class, () -> client.syncSms("a/b"));
        assertThrows(IllegalArgumentException.class, () -> client.syncSms("sixteen-chars-xx"));
        assertThrows(IllegalArgumentException.class, () -> client.removeTunIn(".x"));
    }
}
