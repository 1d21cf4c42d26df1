package io.cryptun.cli.uapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.noise.crypto.Keys;
import io.cryptun.noise.crypto.X25519Keys;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The UAPI server on a real socket in a temporary directory, with a real protocol core: what a
 * client gets for good and bad requests, and that a refused set changes nothing.
 */
class UapiServerTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path dir;

    private SocketTarget target;
    private UapiServer server;
    private Path sock;
    private final List<String> log = new CopyOnWriteArrayList<>();
    private byte[] priv;
    private String peerA;
    private String peerB;

    @BeforeEach
    void start() throws IOException {
        target = new SocketTarget();
        server = UapiServer.start(dir, "ctuat0", new UapiProtocol(target, 1000), log::add, () -> { });
        sock = server.path();
        priv = X25519Keys.generatePrivate(RANDOM);
        peerA = hexPublic();
        peerB = hexPublic();
        set("private_key=" + Keys.toHex(priv) + "\n"
                + "public_key=" + peerA + "\nendpoint=192.0.2.1:51820\nallowed_ip=10.0.0.1/32\n"
                + "public_key=" + peerB + "\npreshared_key=" + Keys.toHex(random32())
                + "\nendpoint=[2001:db8::1]:4\npersistent_keepalive_interval=0\nallowed_ip=fd00::/64\n");
    }

    @AfterEach
    void stop() {
        server.close();
        target.close();
    }

    private static byte[] random32() {
        byte[] k = new byte[32];
        RANDOM.nextBytes(k);
        return k;
    }

    private static String hexPublic() {
        return Keys.toHex(X25519Keys.publicFromPrivate(X25519Keys.generatePrivate(RANDOM)));
    }

    private void set(String body) throws IOException {
        RawUapiClient.Reply r = RawUapiClient.exchange(sock, "set=1\n" + body + "\n");
        assertEquals(0, r.errno(), () -> "set refused: " + r + " log=" + log);
    }

    private String get() throws IOException {
        RawUapiClient.Reply r = RawUapiClient.exchange(sock, "get=1\n\n");
        assertEquals(0, r.errno(), r::toString);
        return r.body();
    }

    @Test
    void socketIsPrivateAndInAnOpenDirectory() throws IOException {
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
    }

    @Test
    void getListsFieldsInWireguardGoOrder() throws IOException {
        List<String> keys = new ArrayList<>();
        for (String line : get().split("\n")) {
            keys.add(line.substring(0, line.indexOf('=')));
        }
        List<String> peer = List.of("public_key", "preshared_key", "protocol_version", "endpoint",
                "last_handshake_time_sec", "last_handshake_time_nsec", "tx_bytes", "rx_bytes",
                "persistent_keepalive_interval", "allowed_ip");
        List<String> expected = new ArrayList<>(List.of("private_key", "listen_port"));
        expected.addAll(peer);
        expected.addAll(peer);
        assertEquals(expected, keys);
    }

    @Test
    void emptyDeviceAnswersOnlyItsPort() throws IOException {
        set("private_key=" + "0".repeat(64) + "\nreplace_peers=true\n");
        assertEquals("listen_port=" + target.listenPort() + "\n", get());
    }

    /** The errno for each malformed set, as wireguard-go 0.0.20220316 answers it; the state never changes. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "bad hex key            | private_key=zz                                 | -22",
        "short key              | private_key=0123                               | -22",
        "unknown device key     | foo=bar                                        | -22",
        "no '='                 | private_key                                    | -71",
        "device key after peer  | public_key=PEER_A\\nlisten_port=5              | -22",
        "unknown peer key       | public_key=PEER_A\\nfoo=bar                    | -22",
        "port out of range      | listen_port=65536                              | -22",
        "port with sign         | listen_port=+1                                 | -22",
        "empty port             | listen_port=                                   | -22",
        "fwmark in hex          | fwmark=0x10                                    | -22",
        "fwmark too big         | fwmark=4294967296                              | -22",
        "replace_peers not true | replace_peers=1                                | -22",
        "update_only not true   | public_key=PEER_A\\nupdate_only=yes            | -22",
        "remove not true        | public_key=PEER_A\\nremove=false               | -22",
        "allowed ip no length   | public_key=PEER_A\\nallowed_ip=10.0.0.1        | -22",
        "allowed ip bad length  | public_key=PEER_A\\nallowed_ip=10.0.0.1/33     | -22",
        "endpoint name          | public_key=PEER_A\\nendpoint=localhost:1       | -22",
        "endpoint no port       | public_key=PEER_A\\nendpoint=[::1]             | -22",
        "endpoint bad port      | public_key=PEER_A\\nendpoint=1.2.3.4:65536     | -22",
        "protocol version 2     | public_key=PEER_A\\nprotocol_version=2         | -22",
        "keepalive too big      | public_key=PEER_A\\npersistent_keepalive_interval=65536 | -22",
        "psk short              | public_key=PEER_A\\npreshared_key=00           | -22",
        "good then bad          | public_key=PEER_A\\nremove=true\\nreplace_peers=true | -22",
        "private key then junk  | private_key=KEY\\nlisten_port=x                | -22",
    })
    void malformedSetIsRefusedWholeWithWireguardGosErrno(String name, String body, int errno) throws IOException {
        String before = get();
        String request = "set=1\n" + body.replace("\\n", "\n").replace("PEER_A", peerA)
                .replace("KEY", Keys.toHex(random32())) + "\n\n";
        RawUapiClient.Reply r = RawUapiClient.exchange(sock, request);
        assertEquals(errno, r.errno(), r::toString);
        assertEquals(before, get(), "a refused set changed the state");
    }

    @Test
    void unknownOperationClosesWithoutReply() throws IOException {
        for (String op : List.of("get=2\n\n", "set=0\n\n", "hello\n\n", "set=1\r\n\n", "\n")) {
            RawUapiClient.Reply r = RawUapiClient.exchange(sock, op);
            assertTrue(r.closed(), op + " -> " + r);
            assertEquals("", r.text(), op + " -> " + r);
        }
    }

    @Test
    void getWithTrailingCharactersIsInvalid() throws IOException {
        try (RawUapiClient c = new RawUapiClient(sock)) {
            c.send("get=1\nx\n".getBytes(StandardCharsets.UTF_8));
            assertEquals(-22, c.read(RawUapiClient.TIMEOUT).errno());
        }
    }

    @Test
    void severalOperationsOnOneConnection() throws IOException {
        String before = get();
        try (RawUapiClient c = new RawUapiClient(sock)) {
            c.send(("get=1\n\nset=1\nfoo=bar\n\nset=1\nfwmark=7\n\nget=1\n\n").getBytes(StandardCharsets.UTF_8));
            assertEquals(before, c.read(RawUapiClient.TIMEOUT).body());
            assertEquals(-22, c.read(RawUapiClient.TIMEOUT).errno());
            assertEquals(0, c.read(RawUapiClient.TIMEOUT).errno());
            assertTrue(c.read(RawUapiClient.TIMEOUT).body().contains("\nfwmark=7\n"));
        }
    }

    @Test
    void carriageReturnBeforeNewlineIsIgnoredInASet() throws IOException {
        RawUapiClient.Reply r = RawUapiClient.exchange(sock, "set=1\r\n".replace("\r", "") + "fwmark=5\r\n\n");
        assertEquals(0, r.errno());
        assertTrue(get().contains("\nfwmark=5\n"));
    }

    @Test
    void overlongLineGetsEioAndTheConnectionCloses() throws IOException {
        String before = get();
        try (RawUapiClient c = new RawUapiClient(sock)) {
            c.send(("set=1\nfwmark=" + "1".repeat(UapiConnection.MAX_LINE) + "\n\n").getBytes(StandardCharsets.US_ASCII));
            RawUapiClient.Reply r = c.read(RawUapiClient.TIMEOUT);
            assertEquals(-5, r.errno(), r::toString);
            assertTrue(c.closedWithin(RawUapiClient.TIMEOUT));
        }
        assertEquals(before, get());
    }

    @Test
    void lineJustUnderTheLimitIsParsedNormally() throws IOException {
        String value = "1".repeat(UapiConnection.MAX_LINE - "fwmark=".length());
        assertEquals(-22, RawUapiClient.exchange(sock, "set=1\nfwmark=" + value + "\n\n").errno());
    }

    @Test
    void requestPastTheSizeLimitIsRefusedAndNothingApplied() throws IOException {
        String before = get();
        StringBuilder sb = new StringBuilder("set=1\npublic_key=").append(peerA).append('\n');
        int i = 0;
        while (sb.length() <= UapiConnection.MAX_REQUEST_BYTES) {
            sb.append("allowed_ip=10.").append((i >> 16) & 0xff).append('.').append((i >> 8) & 0xff).append('.')
                    .append(i & 0xff).append("/32\n");
            i++;
        }
        sb.append('\n');
        try (RawUapiClient c = new RawUapiClient(sock)) {
            c.send(sb.toString().getBytes(StandardCharsets.US_ASCII));
            RawUapiClient.Reply r = c.read(RawUapiClient.TIMEOUT);
            assertTrue(r.closed() || r.errno() == -5, r::toString);
        }
        assertEquals(before, get());
    }

    @Test
    void largeRequestUnderTheLimitIsApplied() throws IOException {
        StringBuilder sb = new StringBuilder("replace_peers=true\npublic_key=").append(peerA).append('\n');
        int n = 200_000;
        for (int i = 0; i < n; i++) {
            sb.append("allowed_ip=10.").append((i >> 16) & 0xff).append('.').append((i >> 8) & 0xff).append('.')
                    .append(i & 0xff).append("/32\n");
        }
        set(sb.toString());
        assertEquals(n, get().split("\nallowed_ip=", -1).length - 1);
    }

    @Test
    void halfClosedSetIsRefusedWithEproto() throws IOException {
        String before = get();
        RawUapiClient.Reply r = RawUapiClient.exchangeHalfClosed(sock, "set=1\nfwmark=9\n");
        assertEquals(-71, r.errno(), r::toString);
        assertEquals(before, get());
        RawUapiClient.Reply g = RawUapiClient.exchangeHalfClosed(sock, "get=1\n");
        assertTrue(g.closed() && g.text().isEmpty(), g::toString);
    }

    @Test
    void idleClientsGiveWayToAWellBehavedOne() throws Exception {
        List<RawUapiClient> idle = new ArrayList<>();
        try {
            for (int i = 0; i < UapiServer.MAX_CLIENTS + 20; i++) {
                idle.add(new RawUapiClient(sock));
            }
            // each connect above succeeded (the backlog holds the ones not yet served)
            String state = get();
            assertTrue(state.contains("public_key=" + peerA), state);
        } finally {
            for (RawUapiClient c : idle) {
                c.close();
            }
        }
    }

    @Test
    void portInUseIsEaddrinuseAndChangesNothing() throws IOException {
        try (DatagramSocket taken = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            String before = get();
            RawUapiClient.Reply r = RawUapiClient.exchange(sock, "set=1\nlisten_port=" + taken.getLocalPort()
                    + "\nreplace_peers=true\n\n");
            assertEquals(-98, r.errno(), r::toString);
            assertEquals(before, get());
        }
    }

    @Test
    void updateOnlyRemoveAndPresharedKeyRemoval() throws IOException {
        String unknown = hexPublic();
        set("public_key=" + unknown + "\nupdate_only=true\nallowed_ip=10.9.0.0/16\n");
        assertFalse(get().contains(unknown));
        set("public_key=" + peerB + "\npreshared_key=" + "0".repeat(64) + "\n");
        assertTrue(get().contains("public_key=" + peerB + "\npreshared_key=" + "0".repeat(64) + "\n"));
        set("public_key=" + peerA + "\nremove=true\nallowed_ip=10.8.0.0/16\n");
        assertFalse(get().contains(peerA));
        assertFalse(get().contains("10.8.0.0/16"));
    }

    @Test
    void ownPublicKeyAsPeerIsIgnoredAndANewPrivateKeyDropsItsPeer() throws IOException {
        String own = Keys.toHex(X25519Keys.publicFromPrivate(priv));
        set("public_key=" + own + "\nallowed_ip=10.7.0.0/16\n");
        assertFalse(get().contains("public_key=" + own));
        byte[] next = X25519Keys.generatePrivate(RANDOM);
        String nextPublic = Keys.toHex(X25519Keys.publicFromPrivate(next));
        set("public_key=" + nextPublic + "\nallowed_ip=10.6.0.0/16\n");
        assertTrue(get().contains("public_key=" + nextPublic));
        set("private_key=" + Keys.toHex(next) + "\n");
        assertFalse(get().contains("public_key=" + nextPublic));
        assertFalse(get().contains("10.6.0.0/16"));
    }

    @Test
    void allowedIpsMoveBetweenPeersAndAreNormalized() throws IOException {
        set("public_key=" + peerB + "\nallowed_ip=10.0.0.1/32\nallowed_ip=10.1.2.3/8\n");
        String s = get();
        String a = s.substring(s.indexOf("public_key=" + peerA), s.indexOf("public_key=" + peerB));
        String b = s.substring(s.indexOf("public_key=" + peerB));
        assertFalse(a.contains("allowed_ip=10.0.0.1/32"), s);
        assertTrue(b.contains("allowed_ip=10.0.0.1/32\n"), s);
        assertTrue(b.contains("allowed_ip=10.0.0.0/8\n"), s);
    }

    @Test
    void ipv4MappedAddressesArePrintedAsWireguardGoPrintsThem() throws IOException {
        set("public_key=" + peerA + "\nendpoint=[::ffff:192.0.2.7]:9\nallowed_ip=::ffff:10.0.0.1/128\n");
        String s = get();
        assertTrue(s.contains("\nendpoint=[::ffff:192.0.2.7]:9\n"), s);
        assertTrue(s.contains("\nallowed_ip=::ffff:10.0.0.1/128\n"), s);
    }

    @Test
    void removingTheSocketFileRunsTheStopAction() throws Exception {
        java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
        try (UapiServer other = UapiServer.start(dir, "ctuat1", new UapiProtocol(target, 10), log::add,
                stopped::countDown)) {
            Files.delete(other.path());
            assertTrue(stopped.await(10, java.util.concurrent.TimeUnit.SECONDS));
        }
    }

    @Test
    void secretsNeverReachTheLog() throws IOException {
        String secret = Keys.toHex(random32());
        RawUapiClient.exchange(sock, "set=1\nprivate_key=" + secret.substring(1) + "\n\n");
        RawUapiClient.exchange(sock, "set=1\n" + secret + "\n\n");
        RawUapiClient.exchange(sock, "set=1\npublic_key=" + peerA + "\npreshared_key=" + secret + "x\n\n");
        assertNull(log.stream().filter(l -> l.contains(secret.substring(1, 40))).findAny().orElse(null), log::toString);
    }

    @Test
    void concurrentClientsAllGetAnswers() throws Exception {
        List<Thread> threads = new ArrayList<>();
        List<String> failures = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 100; i++) {
            int n = i;
            Thread t = new Thread(() -> {
                try {
                    RawUapiClient.Reply r = n % 2 == 0
                            ? RawUapiClient.exchange(sock, "get=1\n\n")
                            : RawUapiClient.exchange(sock, "set=1\npublic_key=" + peerA + "\npersistent_keepalive_interval="
                                    + n + "\n\n");
                    if (r.errno() == null || r.errno() != 0) {
                        failures.add(n + ": " + r);
                    }
                } catch (IOException e) {
                    failures.add(n + ": " + e);
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join(Duration.ofSeconds(60).toMillis());
        }
        assertEquals(List.of(), failures);
    }
}
