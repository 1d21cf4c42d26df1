package io.cryptun.noise.device;

import static io.cryptun.noise.device.FakeClock.seconds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.cryptun.noise.session.Keypair;
import io.cryptun.noise.wire.Bytes;
import io.cryptun.noise.wire.MessageType;
import io.cryptun.noise.wire.TransportMessage;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * One simulated week of two peers on a lossy, duplicating network with idle spells, partitions
 * and process restarts, on the fake clock. Invariants checked throughout:
 * <ul>
 *   <li>never more than one handshake in flight per peer: a node's initiations to a peer are at
 *       least REKEY_TIMEOUT apart;</li>
 *   <li>no data is sent on an expired key: every transport message is sealed with a keypair
 *       younger than REJECT_AFTER_TIME and below REJECT_AFTER_MESSAGES;</li>
 *   <li>keys are zeroed on time: a keypair no longer held by its peer is zeroed at once, and
 *       nothing is held 540 s after the last session was made;</li>
 *   <li>nothing is delivered twice (replays refused), and traffic flows again within two
 *       handshake rounds whenever the network is healthy.</li>
 * </ul>
 */
class WeekLongSimulationTest {
    private static final long WEEK = seconds(7 * 24 * 3600);

    @Test
    void oneWeekOfTrafficLossAndRestarts() {
        long seed = Long.getLong("cryptun.sim.seed", 20261123L);
        Random rnd = new Random(seed);
        TestNet net = new TestNet(seed);
        net.recordWire = false;
        TestNet.Node a = net.node("a", "198.18.0.1", 51820);
        TestNet.Node b = net.node("b", "198.18.0.2", 51821);
        byte[] psk = new byte[32];
        psk[5] = 9;
        TestNet.pair(a, "10.0.0.1/32", b, "10.0.0.2/32", psk);

        double[] lossRate = {0.0};
        boolean[] partitioned = {false};
        net.loss = d -> partitioned[0] || rnd.nextDouble() < lossRate[0];
        net.duplicate = d -> rnd.nextDouble() < 0.01;

        // per device instance: a restarted process rightly remembers no earlier handshake
        Map<Device, Long> lastInitiation = new IdentityHashMap<>();
        Map<Keypair, Boolean> seen = new IdentityHashMap<>();
        List<String> violations = new ArrayList<>();
        long[] initiations = {0};
        long[] transports = {0};

        net.onSend = d -> {
            TestNet.Node from = d.from();
            long now = d.at();
            if (d.type() == MessageType.INITIATION) {
                initiations[0]++;
                Long last = lastInitiation.put(from.device, now);
                if (last != null && now - last < Protocol.REKEY_TIMEOUT) {
                    violations.add(from + " sent two initiations " + (now - last) + " ns apart at " + now);
                }
            } else if (d.type() == MessageType.TRANSPORT) {
                transports[0]++;
                int receiver = Bytes.readIntLE(d.data(), TransportMessage.OFF_RECEIVER);
                long counter = TransportMessage.counter(d.data(), 0);
                Keypair used = null;
                for (Peer p : from.device.peers()) {
                    for (Keypair kp : new Keypair[] {p.current, p.previousKeypair(), p.next}) {
                        if (kp != null && kp.remoteIndex() == receiver) {
                            used = kp;
                        }
                    }
                }
                if (used == null) {
                    violations.add(from + " sent on a keypair it does not hold, at " + now);
                } else {
                    if (now - used.createdAt() >= Protocol.REJECT_AFTER_TIME) {
                        violations.add(from + " sent on a keypair " + (now - used.createdAt()) / 1e9 + " s old at " + now);
                    }
                    if (Protocol.counterAtOrPast(counter, Protocol.REJECT_AFTER_MESSAGES)) {
                        violations.add(from + " sent counter " + Long.toUnsignedString(counter));
                    }
                    if (used.keysZeroed()) {
                        violations.add(from + " sent with zeroed keys at " + now);
                    }
                }
            }
        };
        Set<Long> delivered = new HashSet<>();
        long[] deliveredCount = {0};
        net.onTun = (node, p) -> {
            long id = Bytes.readLongBE(p.data(), 28);
            if (!delivered.add(id)) {
                violations.add(node + " delivered packet " + id + " twice");
            }
            deliveredCount[0]++;
        };

        long nextId = 1;
        long restarts = 0;
        long healthyChecks = 0;
        Map<Peer, Long> lastSession = new IdentityHashMap<>();
        while (net.clock.nanoTime() < WEEK && violations.isEmpty()) {
            // a phase: mostly idle or busy, sometimes lossy or cut off, now and then a restart
            double phase = rnd.nextDouble();
            long phaseLength = seconds(30 + rnd.nextInt(phase < 0.3 ? 1800 : 600));
            lossRate[0] = phase < 0.6 ? 0.0 : phase < 0.85 ? 0.05 + rnd.nextDouble() * 0.25 : 0.9;
            partitioned[0] = phase > 0.97;
            boolean busy = rnd.nextDouble() < 0.4;
            if (rnd.nextDouble() < 0.05) {
                (rnd.nextBoolean() ? a : b).restart();
                restarts++;
            }
            long end = Math.min(WEEK, net.clock.nanoTime() + phaseLength);
            boolean healthy = lossRate[0] == 0.0 && !partitioned[0];
            long healthySince = net.clock.nanoTime();
            long deliveredAtStart = deliveredCount[0];
            while (net.clock.nanoTime() < end && violations.isEmpty()) {
                long gap = busy ? seconds(0.2 + rnd.nextDouble()) : seconds(5 + rnd.nextInt(300));
                net.runUntil(Math.min(end, net.clock.nanoTime() + gap));
                if (net.clock.nanoTime() >= end) {
                    break;
                }
                TestNet.Node from = rnd.nextBoolean() ? a : b;
                String src = from == a ? "10.0.0.1" : "10.0.0.2";
                String dst = from == a ? "10.0.0.2" : "10.0.0.1";
                byte[] packet = SamplePackets.udp4(src, dst, 8 + rnd.nextInt(1300));
                Bytes.writeLongBE(packet, 28, nextId++);
                from.sendIp(packet);
                net.pump();
                checkKeyZeroing(a, b, net.clock.nanoTime(), seen, lastSession, violations);
            }
            // on a healthy network, sessions come back: a peer that kept an old session across the
            // other's restart notices within KEEPALIVE + REKEY_TIMEOUT (as wireguard-go does), so
            // after 30 s of traffic the next packets in both directions arrive
            if (healthy && end - healthySince > seconds(30) && nextId > 1) {
                healthyChecks++;
                a.sendIp(withId(SamplePackets.udp4("10.0.0.1", "10.0.0.2", 20), nextId++));
                b.sendIp(withId(SamplePackets.udp4("10.0.0.2", "10.0.0.1", 20), nextId++));
                net.runFor(seconds(30));
                long before = deliveredCount[0];
                long idA = nextId++;
                long idB = nextId++;
                a.sendIp(withId(SamplePackets.udp4("10.0.0.1", "10.0.0.2", 20), idA));
                b.sendIp(withId(SamplePackets.udp4("10.0.0.2", "10.0.0.1", 20), idB));
                net.runFor(seconds(10));
                if (!delivered.contains(idA) || !delivered.contains(idB)) {
                    violations.add("healthy network but traffic did not flow at " + net.clock.nanoTime() / 1e9
                            + " s (delivered " + (deliveredCount[0] - before) + " of 2, phase delivered "
                            + (deliveredCount[0] - deliveredAtStart) + "): " + describe(a) + " / " + describe(b));
                }
            }
        }
        if (!violations.isEmpty()) {
            fail(violations.size() + " violations, first: " + violations.subList(0, Math.min(5, violations.size())));
        }
        assertTrue(net.clock.nanoTime() >= WEEK);
        assertTrue(deliveredCount[0] > 10_000, "delivered " + deliveredCount[0]);
        assertTrue(initiations[0] > 1000, "initiations " + initiations[0]);
        assertTrue(restarts > 5, "restarts " + restarts);
        assertTrue(healthyChecks > 50, "healthy checks " + healthyChecks);
        assertTrue(net.totalDrops(DropReason.REPLAY) > 0, "duplicates were refused by the replay window");
        assertEquals(Collections.emptyList(), violations);
        System.out.printf("week simulated: %d packets delivered, %d transport and %d initiation messages sent, "
                + "%d restarts, %d healthy-phase checks%n", deliveredCount[0], transports[0], initiations[0], restarts,
                healthyChecks);
    }

    private static String describe(TestNet.Node n) {
        Peer p = n.device.peers().get(0);
        synchronized (p) {
            return n + "[current=" + (p.current != null) + " next=" + (p.next != null) + " staged=" + p.stagedPackets()
                    + " hs=" + p.handshake.state + " attempts=" + p.timers.handshakeAttempts + "]";
        }
    }

    private static byte[] withId(byte[] p, long id) {
        Bytes.writeLongBE(p, 28, id);
        return p;
    }

    /**
     * A keypair its peer no longer holds must be zeroed; and 540 s after a peer's last session was
     * made, it holds nothing.
     */
    private static void checkKeyZeroing(TestNet.Node a, TestNet.Node b, long now, Map<Keypair, Boolean> seen,
                                        Map<Peer, Long> lastSession, List<String> violations) {
        Set<Keypair> held = Collections.newSetFromMap(new IdentityHashMap<>());
        for (TestNet.Node n : new TestNet.Node[] {a, b}) {
            for (Peer p : n.device.peers()) {
                for (Keypair kp : new Keypair[] {p.current, p.previousKeypair(), p.next}) {
                    if (kp != null) {
                        held.add(kp);
                        if (seen.put(kp, Boolean.TRUE) == null) {
                            lastSession.merge(p, kp.createdAt(), Math::max);
                        }
                    }
                }
                Long last = lastSession.get(p);
                if (last != null && now - last > Protocol.ZERO_KEYS_AFTER
                        && (p.current != null || p.previousKeypair() != null || p.next != null)) {
                    violations.add(n + " still holds keys " + (now - last) / 1e9 + " s after its last session");
                }
            }
        }
        for (Keypair kp : new ArrayList<>(seen.keySet())) {
            if (!held.contains(kp)) {
                if (!kp.keysZeroed()) {
                    violations.add("a retired keypair was not zeroed");
                }
                seen.remove(kp);
            }
        }
    }
}
