package io.cryptun.routing.reactor;

import static io.cryptun.routing.reactor.SecretMeshSim.seconds;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.noise.device.Peer;
import io.cryptun.routing.psk.MeshPsk;
import io.cryptun.routing.psk.MeshSecret;
import io.cryptun.routing.psk.MeshSecrets;
import io.cryptun.routing.reactor.SecretMeshSim.Node;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Mesh secrets on real WireGuard devices (in memory, fake clock): pre-shared keys derived per
 * pair, a closed community, and a rotation from one secret to the next while traffic flows, with
 * the regular rekeys falling into every mixed phase.
 */
class MeshSecretsOnDevicesTest {
    private static final byte[] OLD = fill(0x42);   // generation b2366f45
    private static final byte[] NEW = range(0);     // generation 1f8e543a
    private static final byte[] OTHER = fill(0x07);

    private static byte[] fill(int v) {
        byte[] b = new byte[32];
        java.util.Arrays.fill(b, (byte) v);
        return b;
    }

    private static byte[] range(int start) {
        byte[] b = new byte[32];
        for (int i = 0; i < 32; i++) {
            b[i] = (byte) (start + i);
        }
        return b;
    }

    /** A fresh copy per node: a keyring wipes what it replaces. */
    private static MeshSecrets secrets(byte[]... generations) {
        List<MeshSecret> l = new ArrayList<>();
        for (byte[] g : generations) {
            l.add(new MeshSecret(g));
        }
        return new MeshSecrets(l);
    }

    @Test
    void nodesWithTheSameSecretDeriveTheSamePairKeyAndCarryTraffic() {
        SecretMeshSim sim = new SecretMeshSim(1);
        Node a = sim.node("a");
        Node b = sim.node("b");
        Node c = sim.node("c");
        for (Node n : sim.nodes) {
            n.hold(secrets(OLD));
        }
        for (Node n : sim.nodes) {
            n.learnAll();
        }
        for (Node x : sim.nodes) {
            for (Node y : sim.nodes) {
                if (x != y) {
                    Peer p = x.peerOf(y);
                    assertArrayEquals(MeshPsk.derive(OLD, x.publicKey, y.publicKey), p.presharedKey());
                    assertArrayEquals(p.presharedKey(), y.peerOf(x).presharedKey(), "both ends agree");
                    x.send(y);
                    sim.pump();
                }
            }
        }
        sim.runFor(seconds(1));
        for (Node n : sim.nodes) {
            assertEquals(2, n.received.size(), n + " heard from both others: " + n.received);
        }
        assertTrue(!java.util.Arrays.equals(a.peerOf(b).presharedKey(), a.peerOf(c).presharedKey()),
                "no two pairs share a key");
    }

    @Test
    void aNodeWithAnotherSecretOrNoneCarriesNothingAndTheFailureHasAReason() {
        SecretMeshSim sim = new SecretMeshSim(2);
        Node a = sim.node("a");
        Node outsider = sim.node("x");
        Node old = sim.node("o");
        a.hold(secrets(OLD));
        outsider.hold(secrets(OTHER));
        // an older cryptun without secrets, which does not refuse anyone and installs a as a plain peer
        old.refuses = false;
        for (Node n : sim.nodes) {
            n.learnAll();
        }
        assertTrue(a.installed.get(outsider).isRefused());
        assertTrue(outsider.installed.get(a).isRefused());
        assertTrue(a.installed.get(old).isRefused());
        assertEquals(0, a.peerOf(outsider).persistentKeepaliveSeconds(), "nothing is sent to a refused peer");
        // the outsider cannot even address a: no allowed IPs; the old node tries and fails
        outsider.send(a);
        old.send(a);
        a.send(outsider);
        a.send(old);
        sim.runFor(seconds(30));
        assertEquals(Map.of(), a.received);
        assertEquals(Map.of(), outsider.received);
        assertEquals(Map.of(), old.received);
        assertTrue(old.peerOf(a).lastHandshakeFailure().contains("pre-shared keys differ"),
                String.valueOf(old.peerOf(a).lastHandshakeFailure()));
        // a handshake a starts towards the outsider fails as well, with the same reason
        a.peerOf(outsider).initiateHandshake();
        sim.runFor(seconds(1));
        assertEquals(0, a.peerOf(outsider).lastHandshakeUnixNanos());
        assertTrue(a.peerOf(outsider).lastHandshakeFailure().contains("pre-shared keys differ"));
    }

    /**
     * Three nodes move from OLD to NEW: each adds NEW as its second line, then (with
     * {@code promote}) each moves it to the first line, then each drops OLD, one node every 40 s,
     * the others hearing of it 1.5, 3 and 4.5 s later. A packet goes every second between every
     * pair; over the 4 to 6 minutes the regular rekeys (every 2 minutes) fall into mixed phases.
     * Nothing may be lost; in three rounds no handshake may fail, in two (dropping OLD while peers
     * still use it) at most one per dropping node; each pair makes a new session as soon as it
     * switched generations; and at the end every pair is keyed with NEW alone. Both id orders are
     * tried, since ties go to the smaller id.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"false,true", "true,true", "false,false", "true,false"})
    void aRotationWhileTrafficFlowsLosesNothing(boolean newHasTheSmallerId, boolean promote) {
        byte[] oldSecret = newHasTheSmallerId ? OLD : NEW;
        byte[] newSecret = newHasTheSmallerId ? NEW : OLD;
        SecretMeshSim sim = new SecretMeshSim(newHasTheSmallerId ? 3 : 4);
        sim.node("a");
        sim.node("b");
        sim.node("c");
        for (Node n : sim.nodes) {
            n.hold(secrets(oldSecret));
        }
        for (Node n : sim.nodes) {
            n.learnAll();
        }
        int[] sent = {0};
        Runnable traffic = () -> {
            for (Node x : sim.nodes) {
                for (Node y : sim.nodes) {
                    if (x != y) {
                        x.send(y);
                        sent[0]++;
                    }
                }
            }
        };
        List<Runnable> steps = new ArrayList<>();
        double delaySeconds = 1.5;
        for (Node n : sim.nodes) {
            steps.add(() -> n.hold(secrets(oldSecret, newSecret)));
        }
        if (promote) {
            for (Node n : sim.nodes) {
                steps.add(() -> n.hold(secrets(newSecret, oldSecret)));
            }
        }
        for (Node n : sim.nodes) {
            steps.add(() -> n.hold(secrets(newSecret)));
        }
        TreeMap<Long, List<Runnable>> agenda = new TreeMap<>();
        long t0 = sim.clock.nanoTime() + seconds(10);
        for (int i = 0; i < steps.size(); i++) {
            long at = t0 + seconds(40) * i;
            Runnable step = steps.get(i);
            agenda.computeIfAbsent(at, k -> new ArrayList<>()).add(step);
            // the others hear of it a little later, one after the other
            for (int j = 0; j < sim.nodes.size(); j++) {
                Node listener = sim.nodes.get(j);
                agenda.computeIfAbsent(at + seconds(delaySeconds * (j + 1)), k -> new ArrayList<>())
                        .add(listener::learnAll);
            }
        }
        long end = t0 + seconds(40) * (steps.size() - 1) + seconds(15);
        int failures = 0;
        for (long t = sim.clock.nanoTime(); t < end; t += seconds(1)) {
            for (Map.Entry<Long, List<Runnable>> e : agenda.headMap(t, true).entrySet()) {
                sim.runUntil(e.getKey());
                e.getValue().forEach(Runnable::run);
            }
            agenda.headMap(t, true).clear();
            sim.runUntil(t);
            traffic.run();
            sim.pump();
            for (Node x : sim.nodes) {
                for (Node y : sim.nodes) {
                    if (x != y && x.peerOf(y).lastHandshakeFailure() != null) {
                        failures++;
                    }
                }
            }
        }
        sim.runFor(seconds(1));
        long refusedResponses = 0;
        for (Node n : sim.nodes) {
            refusedResponses += n.device.stats().drops(io.cryptun.noise.device.DropReason.INVALID_HANDSHAKE);
        }
        if (promote) {
            assertEquals(0, refusedResponses, "in three rounds no handshake fails (" + failures + ")");
        } else {
            assertTrue(refusedResponses <= 3, "at most one failed handshake per node dropping the old secret early: "
                    + refusedResponses);
        }
        // each pair made a new session after its last switch, without waiting for the regular rekey
        for (Node x : sim.nodes) {
            for (Node y : sim.nodes) {
                if (x != y) {
                    long switched = Math.max(x.firstChangedAt.get(y), y.firstChangedAt.get(x));
                    assertTrue(x.peerOf(y).lastHandshakeUnixNanos() >= sim.clock.unixOf(switched),
                            x + " -> " + y + " rekeyed after its last switch (at " + switched + " ns)");
                }
            }
        }
        int delivered = 0;
        for (Node n : sim.nodes) {
            delivered += n.received.values().stream().mapToInt(Integer::intValue).sum();
        }
        assertEquals(sent[0], delivered, "every packet of the rotation arrived (" + failures
                + " node-seconds showed a failed handshake meanwhile)");
        long rotated = sim.clock.nanoTime();
        for (Node x : sim.nodes) {
            for (Node y : sim.nodes) {
                if (x != y) {
                    assertArrayEquals(MeshPsk.derive(newSecret, x.publicKey, y.publicKey), x.peerOf(y).presharedKey(),
                            x + " -> " + y);
                }
            }
        }
        // the next regular rekeys run on NEW alone (nobody holds OLD any more) and traffic goes on
        for (long t = rotated; t < rotated + seconds(150); t += seconds(1)) {
            sim.runUntil(t);
            traffic.run();
            sim.pump();
        }
        sim.runFor(seconds(1));
        for (Node x : sim.nodes) {
            for (Node y : sim.nodes) {
                if (x != y) {
                    Peer p = x.peerOf(y);
                    assertNull(p.lastHandshakeFailure(), x + " -> " + y);
                    assertTrue(p.lastHandshakeUnixNanos() > sim.clock.unixNanos() - seconds(150), x + " -> " + y);
                    assertNotNull(p.currentKeypair());
                }
            }
        }
        delivered = 0;
        for (Node n : sim.nodes) {
            delivered += n.received.values().stream().mapToInt(Integer::intValue).sum();
        }
        assertEquals(sent[0], delivered);
    }
}
