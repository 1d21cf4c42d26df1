package io.cryptun.cli.uapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.noise.crypto.Keys;
import io.cryptun.noise.crypto.X25519Keys;
import io.cryptun.noise.device.Device;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The UAPI's resource limits hold and say so: the peer limit (EINVAL, one log line naming the
 * limit, nothing applied) and the number of connections served at once (never more than
 * MAX_CLIENTS threads, however many clients connect; a log line when slots are reclaimed).
 * Line and request size limits are tested in UapiServerTest.
 */
class UapiLimitsTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int MAX_PEERS = 3;

    @TempDir
    Path dir;
    private final List<String> log = new CopyOnWriteArrayList<>();
    private final Device device = Device.builder().build();
    private UapiServer server;

    @BeforeEach
    void start() throws IOException {
        server = UapiServer.start(dir, "cthdlim0", new UapiProtocol(new InMemoryUapiTarget(device), MAX_PEERS),
                log::add, () -> { });
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static String peer() {
        return "public_key=" + Keys.toHex(X25519Keys.publicFromPrivate(X25519Keys.generatePrivate(RANDOM)))
                + "\nallowed_ip=10.9." + RANDOM.nextInt(250) + "." + RANDOM.nextInt(250) + "/32\n";
    }

    private RawUapiClient.Reply set(String body) throws IOException {
        return RawUapiClient.exchange(server.path(), "set=1\n" + body + "\n");
    }

    @Test
    void thePeerLimitIsRefusedWholeWithEinvalAndALogLine() throws IOException {
        assertEquals(0, set(peer() + peer()).errno());
        assertEquals(2, device.peerCount());
        // one more fits, two more do not: the whole request is refused, nothing is added
        RawUapiClient.Reply r = set(peer() + peer());
        assertEquals(UapiErrno.EINVAL, r.errno(), r::toString);
        assertEquals(2, device.peerCount());
        assertTrue(log.contains("UAPI set refused: failed to create new peer: too many peers (limit " + MAX_PEERS + ")"),
                log::toString);
        assertEquals(0, set(peer()).errno());
        assertEquals(MAX_PEERS, device.peerCount());
        assertEquals(UapiErrno.EINVAL, set(peer()).errno());
        // replacing all peers with as many as the limit is fine
        assertEquals(0, set("replace_peers=true\n" + peer() + peer() + peer()).errno());
        assertEquals(MAX_PEERS, device.peerCount());
    }

    @Test
    void theDeviceItselfRefusesAPeerPastItsLimit() {
        Device small = Device.builder().maxPeers(2).build();
        small.addPeer(X25519Keys.publicFromPrivate(X25519Keys.generatePrivate(RANDOM)));
        small.addPeer(X25519Keys.publicFromPrivate(X25519Keys.generatePrivate(RANDOM)));
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> small.addPeer(X25519Keys.publicFromPrivate(X25519Keys.generatePrivate(RANDOM))));
        assertEquals("too many peers (limit 2)", e.getMessage());
        assertEquals(2, small.peerCount());
    }

    @Test
    void noMoreThanMaxClientsConnectionsAreServedAtOnce() throws Exception {
        List<RawUapiClient> idle = new ArrayList<>();
        int most = 0;
        try {
            for (int i = 0; i < 3 * UapiServer.MAX_CLIENTS; i++) {
                idle.add(new RawUapiClient(server.path()));
                if (i % 16 == 0) {
                    most = Math.max(most, servingThreads());
                }
            }
            for (int i = 0; i < 20; i++) {
                most = Math.max(most, servingThreads());
                Thread.sleep(100);
            }
            // a well-behaved client is still answered: idle ones give their slots up
            RawUapiClient.Reply r = RawUapiClient.exchange(server.path(), "get=1\n\n");
            assertEquals(0, r.errno(), r::toString);
            most = Math.max(most, servingThreads());
        } finally {
            for (RawUapiClient c : idle) {
                c.close();
            }
        }
        assertTrue(most <= UapiServer.MAX_CLIENTS, "threads serving clients at once: " + most);
        assertTrue(most > 0);
        assertTrue(log.stream().anyMatch(l -> l.startsWith("UAPI: all " + UapiServer.MAX_CLIENTS + " client slots were taken")),
                log::toString);
    }

    private static int servingThreads() {
        int n = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("cryptun-uapi-client") && t.isAlive()) {
                n++;
            }
        }
        return n;
    }
}
