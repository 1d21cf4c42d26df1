package io.cryptun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.cli.CommandRunner;
import io.cryptun.cli.it.MeshLab.Host;
import io.cryptun.cli.it.MeshLab.WgPeer;
import io.cryptun.routing.psk.MeshSecret;
import io.cryptun.testkit.NetnsAssumptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Mesh secrets in the four-namespace mesh of {@link MeshLab} (A — B — C, B — D; C and D offer
 * 10.99.0.0/16): A, B and C share the community secret, D holds another one. B's WireGuard key
 * is derived from a bmx7 node key file, the others' come from key files.
 *
 * <ol>
 * <li>A, B and C build tunnels and pass traffic; D is refused by all three and refuses them: it
 * is listed without allowed IPs, no handshake completes, nothing reaches it or comes from it, and
 * {@code cryptun show} names the reason.</li>
 * <li>While A pings C and B every 200 ms, the community rotates to a new secret in three rounds
 * (each node adds it as its second line, then moves it first, then drops the old one), node after
 * node: no ping gap longer than one handshake, and at the end every pair announces and uses the
 * new generation alone.</li>
 * <li>C (key file) and B (key from bmx7) restart: same public keys, their peers re-handshake and
 * traffic flows.</li>
 * </ol>
 */
@Tag("netns")
class MeshPskIT {
    private static final Duration CHANGE = Duration.ofSeconds(10);
    /** Pings 200 ms apart: more than 2 lost in a row would be a gap longer than one handshake. */
    private static final int MAX_LOST_IN_A_ROW = 2;

    private static final String[] A_ARGS = {"--tun4", "10.254.1.1/32", "--tun-out", "v4any=10.0.0.0/8"};
    private static final String[] B_ARGS = {"--tun4", "10.254.2.1/32"};
    private static final String[] C_ARGS = {"--tun4", "10.254.3.1/32", "--tun-in", "gw4=10.99.0.0/16,bandwidth=32000000"};
    private static final String[] D_ARGS = {"--tun4", "10.254.4.1/32", "--tun-in", "gw4=10.99.0.0/16,bandwidth=8000000"};

    private final SecureRandom random = new SecureRandom();

    @Test
    void aClosedCommunityRotatesItsSecretAndKeepsItsKeys() throws Exception {
        NetnsAssumptions.assumeNetns();
        NetnsAssumptions.assumeCommand("wg");
        try (MeshLab lab = new MeshLab()) {
            try {
                scenario(lab);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError(e.getMessage() + "\n" + lab.logs(), e);
            }
        }
    }

    private void scenario(MeshLab lab) throws Exception {
        Host a = lab.host("A");
        Host b = lab.host("B");
        Host c = lab.host("C");
        Host d = lab.host("D");
        byte[] current = secret();
        byte[] next = secret();
        byte[] foreign = secret();
        String currentId = new MeshSecret(current).id();
        String nextId = new MeshSecret(next).id();
        String foreignId = new MeshSecret(foreign).id();

        b.bmx7KeyFile = rsaKeyFile(lab.workDir.resolve("bmx7-B/rsa.der"));
        for (Host h : List.of(a, b, c)) {
            writeSecrets(lab, h, current);
        }
        writeSecrets(lab, d, foreign);
        c.start(withPsk(lab, c, C_ARGS));
        d.start(withPsk(lab, d, D_ARGS));
        b.start(withPsk(lab, b, B_ARGS));
        a.start(withPsk(lab, a, A_ARGS));

        List<Host> community = List.of(a, b, c);
        theCommunityBuildsTunnels(lab, community, currentId);
        theOutsiderIsRefused(lab, community, d, foreignId);
        rotationLosesNoSession(lab, community, current, next, currentId, nextId, true);
        // and once more the short way: the next secret added everywhere, then the old one dropped
        byte[] third = secret();
        rotationLosesNoSession(lab, community, next, third, nextId, new MeshSecret(third).id(), false);
        hangupReadsAgainAndStopsNothing(a);
        restartedNodesKeepTheirKeys(lab, community);
    }

    private void theCommunityBuildsTunnels(MeshLab lab, List<Host> community, String id) throws Exception {
        for (Host h : community) {
            awaitAnnounced(lab, h, id);
            for (Host o : community) {
                if (o != h) {
                    String key = o.publicKey();
                    MeshLab.await(h.name + " has a handshake with " + o.name, Duration.ofSeconds(20),
                            () -> h.peers().containsKey(key) && h.peers().get(key).latestHandshake() > 0);
                    assertFalse(h.peers().get(key).allowedIps().isEmpty());
                }
            }
        }
        Host a = lab.host("A");
        ping(a, "10.99.3.1");
        ping(a, "10.254.2.1");
        // B's WireGuard key is the one derived from its bmx7 node key file
        assertEquals(lab.host("B").publicKey(), wgPublicKey(lab.host("B")));
        String log = Files.readString(lab.host("B").log);
        assertTrue(log.contains("private key derived from bmx7's node key"), "B says where its key comes from");
        // the stand-in's node id is not the one of that key file: B says its key does not follow this bmx7
        MeshLab.await("B warns that bmx7 runs as another node", CHANGE, () -> {
            try {
                return Files.readString(lab.host("B").log).lines().anyMatch(l -> l.startsWith("WARN: ") && l.contains("the WireGuard key was derived from the bmx7 node key of"));
            } catch (java.io.IOException e) {
                return false;
            }
        });
    }

    private void theOutsiderIsRefused(MeshLab lab, List<Host> community, Host d, String foreignId) throws Exception {
        String keyD = d.publicKey();
        awaitAnnounced(lab, d, foreignId);
        for (Host h : community) {
            MeshLab.await(h.name + " lists D as a refused peer", CHANGE, () -> h.peers().containsKey(keyD));
            WgPeer p = h.peers().get(keyD);
            assertEquals(List.of(), p.allowedIps(), h.name + " allows D nothing");
            CommandRunner.Result json = CommandRunner.run("", "show", h.ifname, "--json");
            assertTrue(json.stdout().contains("\"handshake_failure\": \"refused: it holds none of this node's mesh secrets"),
                    json.stdout() + json.stderr());
            CommandRunner.Result text = CommandRunner.run("", "show", h.ifname);
            assertTrue(text.stdout().contains("handshake failing: refused: it holds none of this node's mesh secrets (it: "
                    + foreignId), text.stdout());
            String keyH = h.publicKey();
            MeshLab.await("D lists " + h.name + " as a refused peer", CHANGE, () -> d.peers().containsKey(keyH));
            assertEquals(List.of(), d.peers().get(keyH).allowedIps());
        }
        Host a = lab.host("A");
        assertFalse(a.exec("ping", "-n", "-c", "3", "-i", "0.3", "-W", "1", "10.254.4.1").succeeded(),
                "A reaches nothing of D's through a tunnel");
        assertFalse(d.exec("ping", "-n", "-c", "3", "-i", "0.3", "-W", "1", "10.254.1.1").succeeded(),
                "D reaches nothing of A's");
        assertTrue(d.exec("ping", "-n", "-c", "1", "-W", "2", a.bmx7.primaryAddress()).succeeded(),
                "the underlay itself works: only the tunnel is closed");
        for (Host h : community) {
            WgPeer p = h.peers().get(keyD);
            assertEquals(0, p.latestHandshake(), h.name + ": no handshake with D ever completed");
            assertEquals(0, p.rx(), h.name + " received nothing from D");
        }
        for (WgPeer p : d.peers().values()) {
            assertEquals(0, p.latestHandshake());
        }
        // what D offers is not routed through it: C serves 10.99.0.0/16 to A
        assertTrue(a.peers().get(lab.host("C").publicKey()).allowedIps().contains("10.99.0.0/16"));
    }

    /**
     * Rotates from {@code current} to {@code next} node by node while A pings: in three rounds
     * ({@code promote}: add second, move first, drop the old) or two (add second, drop the old).
     */
    private void rotationLosesNoSession(MeshLab lab, List<Host> community, byte[] current, byte[] next,
                                        String currentId, String nextId, boolean promote) throws Exception {
        Host a = lab.host("A");
        String tag = promote ? "3" : "2";
        long invalidBefore = refusedResponses(community);
        PingRun toC = PingRun.start(a.ns, lab.workDir.resolve("ping-c" + tag + ".log"), "-i", "0.2", "-W", "1", "10.99.3.1");
        PingRun toB = PingRun.start(a.ns, lab.workDir.resolve("ping-b" + tag + ".log"), "-i", "0.2", "-W", "1", "10.254.2.1");
        long switched = 0;
        try {
            Thread.sleep(1000);
            // add the next secret as second line; (move it first;) drop the old one
            List<List<byte[]>> rounds = promote ? List.of(List.of(current, next), List.of(next, current), List.of(next))
                    : List.of(List.of(current, next), List.of(next));
            List<String> announced = promote ? List.of(currentId + "," + nextId, nextId + "," + currentId, nextId)
                    : List.of(currentId + "," + nextId, nextId);
            for (int round = 0; round < rounds.size(); round++) {
                if (round == 1) {
                    // from here the pairs switch to the next secret
                    switched = System.currentTimeMillis() / 1000;
                }
                for (Host h : community) {
                    writeSecrets(lab, h, rounds.get(round).toArray(new byte[0][]));
                    awaitAnnounced(lab, h, announced.get(round));
                    Thread.sleep(1000);
                }
            }
            Thread.sleep(3000);
        } finally {
            toC.interrupt();
            toB.interrupt();
        }
        PingRun.Result c = toC.await(Duration.ofSeconds(10));
        PingRun.Result b = toB.await(Duration.ofSeconds(10));
        long invalid = refusedResponses(community) - invalidBefore;
        String summary = (promote ? "three rounds" : "two rounds") + " (" + invalid + " handshake messages refused meanwhile): A->C "
                + c.summary() + ", longest gap " + longestRun(c.lost()) + " pings; A->B " + b.summary()
                + ", longest gap " + longestRun(b.lost()) + " pings";
        Files.writeString(lab.workDir.resolve("rotation.txt"), summary + "\n");
        System.out.println("MeshPskIT rotation: " + summary);
        assertTrue(c.transmitted() > 50 && b.transmitted() > 50, summary);
        assertTrue(longestRun(c.lost()) <= MAX_LOST_IN_A_ROW && longestRun(b.lost()) <= MAX_LOST_IN_A_ROW,
                "no gap longer than one handshake: " + summary);

        // every pair moved to the new generation: it announces it alone, and made a new session once
        // the pair switched to it (keyed with the new secret: nobody holds the old one any more).
        // A pair without traffic may need one retry: an initiation that reaches a node before the
        // initiator's new record does is answered with the old key and refused, and the initiator
        // tries again after REKEY_TIMEOUT (5 s + jitter); the pings above show no gap either way.
        final long switchedAt = switched;
        for (Host h : community) {
            assertTrue(Files.readString(h.bmx7.sendSms("cryptun")).endsWith(" psk=" + nextId + "\n"));
            for (Host o : community) {
                if (o != h) {
                    String key = o.publicKey();
                    assertNotNull(h.peers().get(key), h.name + " still peers with " + o.name);
                    MeshLab.await(h.name + "'s session with " + o.name + " made with the new secret (switch from "
                            + switchedAt + ", handshake at " + h.peers().get(key).latestHandshake() + " when the wait began)",
                            Duration.ofSeconds(15), () -> h.peers().get(key).latestHandshake() >= switchedAt - 1);
                }
            }
            CommandRunner.Result json = CommandRunner.run("", "show", h.ifname, "--json");
            long failing = json.stdout().lines().filter(l -> l.contains("\"handshake_failure\"")).count();
            assertEquals(1, failing, "only D's refusal remains: " + json.stdout());
        }
        ping(a, "10.99.3.1");
        ping(a, "10.254.2.1");
    }

    /** SIGHUP, which would end a plain JVM, makes cryptun read its secret file again and changes nothing else. */
    private void hangupReadsAgainAndStopsNothing(Host a) throws Exception {
        Map<String, WgPeer> before = a.peers();
        long pid = a.process.pid();
        new ProcessBuilder("kill", "-HUP", Long.toString(pid)).inheritIO().start().waitFor();
        MeshLab.await("A logs the reload", CHANGE, () -> {
            try {
                return Files.readString(a.log).contains("SIGHUP: reading");
            } catch (java.io.IOException e) {
                return false;
            }
        });
        Thread.sleep(1000);
        assertTrue(a.process.isAlive(), "SIGHUP did not stop cryptun");
        assertEquals(before.keySet(), a.peers().keySet());
        ping(a, "10.99.3.1");
    }

    private void restartedNodesKeepTheirKeys(MeshLab lab, List<Host> community) throws Exception {
        Host a = lab.host("A");
        for (Host h : List.of(lab.host("C"), lab.host("B"))) {
            String before = wgPublicKey(h);
            assertEquals(h.publicKey(), before);
            String[] args = h.name.equals("C") ? C_ARGS : B_ARGS;
            long established = sessionsEstablished(a);
            h.stop();
            MeshLab.await("A drops " + h.name + " once it withdrew", CHANGE, () -> !a.peers().containsKey(before));
            h.start(withPsk(lab, h, args));
            assertEquals(before, wgPublicKey(h), h.name + " keeps its public key across the restart");
            MeshLab.await("A peers with " + h.name + " again, same key", CHANGE, () -> a.peers().containsKey(before));
            ping(a, h.name.equals("C") ? "10.99.3.1" : "10.254.2.1");
            long handshakes = sessionsEstablished(a) - established;
            System.out.println("MeshPskIT restart of " + h.name + ": A established " + handshakes + " session(s)");
            // one handshake; two sessions when both ends initiate at the restart and cross (each answers the
            // other's initiation, one retry later), as MeshIT knows from new tunnels
            assertTrue(handshakes >= 1 && handshakes <= 2, "A re-handshook with " + h.name + " once: " + handshakes);
            for (Host o : community) {
                if (o != h) {
                    String key = o.publicKey();
                    MeshLab.await(h.name + " has a handshake with " + o.name + " after its restart", Duration.ofSeconds(20),
                            () -> h.peers().containsKey(key) && h.peers().get(key).latestHandshake() > 0);
                }
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    private byte[] secret() {
        byte[] s = new byte[32];
        random.nextBytes(s);
        return s;
    }

    private static Path secretFile(MeshLab lab, Host h) {
        return lab.workDir.resolve("psk-" + h.name).resolve("mesh.psk");
    }

    /** Replaces the host's secret file atomically (as an operator should: write aside, then rename), mode 0600. */
    private static void writeSecrets(MeshLab lab, Host h, byte[]... secrets) throws Exception {
        Path f = secretFile(lab, h);
        Files.createDirectories(f.getParent());
        StringBuilder sb = new StringBuilder("# mesh secret, current first\n");
        for (byte[] s : secrets) {
            sb.append(Base64.getEncoder().encodeToString(s)).append('\n');
        }
        Path tmp = f.resolveSibling(".mesh.psk.tmp");
        Files.writeString(tmp, sb, StandardCharsets.US_ASCII);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static String[] withPsk(MeshLab lab, Host h, String[] args) {
        List<String> l = new ArrayList<>(List.of(args));
        // every pair's session up, so every pair's keying with the secrets shows without traffic
        l.addAll(List.of("--mesh-psk-file", secretFile(lab, h).toString(), "--keep-up", "all"));
        return l.toArray(new String[0]);
    }

    /** Waits until the host announces these ids and every other stand-in holds that record. */
    private static void awaitAnnounced(MeshLab lab, Host h, String ids) throws Exception {
        MeshLab.await(h.name + " announces psk=" + ids + " to everyone", CHANGE, () -> {
            try {
                if (!Files.readString(h.bmx7.sendSms("cryptun")).endsWith(" psk=" + ids + "\n")) {
                    return false;
                }
                for (Host o : lab.hosts.values()) {
                    Path rcvd = o.bmx7.rcvdSms(h.bmx7.id, "cryptun");
                    if (o != h && !(Files.exists(rcvd) && Files.readString(rcvd).endsWith(" psk=" + ids + "\n"))) {
                        return false;
                    }
                }
                return true;
            } catch (java.io.IOException e) {
                return false;
            }
        });
    }

    /** A bmx7 node key file: an RSA key, DER (PKCS#8, as openssl converts bmx7's), mode 0600. */
    private static Path rsaKeyFile(Path file) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(1024);
        Files.createDirectories(file.getParent());
        Files.write(file, g.generateKeyPair().getPrivate().getEncoded());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private static String wgPublicKey(Host h) {
        return h.exec("wg", "show", h.ifname, "public-key").requireSuccess().stdout().strip();
    }

    private static long sessionsEstablished(Host h) {
        return counter(h, "session_established");
    }

    /** One of the counters {@code cryptun show --json} gives (drops by reason, events). */
    private static long counter(Host h, String name) {
        CommandRunner.Result json = CommandRunner.run("", "show", h.ifname, "--json");
        for (String l : json.stdout().lines().toList()) {
            String t = l.strip();
            if (t.startsWith("\"" + name + "\":")) {
                return Long.parseLong(t.substring(t.indexOf(':') + 1).replace(",", "").strip());
            }
        }
        throw new AssertionError("no " + name + " counter in " + json.stdout());
    }

    private static long refusedResponses(List<Host> hosts) {
        long n = 0;
        for (Host h : hosts) {
            n += counter(h, "invalid_handshake");
        }
        return n;
    }

    private static int longestRun(List<Integer> lost) {
        int best = 0;
        int run = 0;
        int prev = Integer.MIN_VALUE;
        for (int seq : lost) {
            run = seq == prev + 1 ? run + 1 : 1;
            best = Math.max(best, run);
            prev = seq;
        }
        return best;
    }

    /** Pings until one echo comes back (a tunnel may still be handshaking), then requires 3 of 3. */
    private static void ping(Host from, String to) throws InterruptedException {
        MeshLab.await("a ping from " + from.name + " to " + to + " comes back", CHANGE,
                () -> from.exec("ping", "-n", "-c", "1", "-W", "1", to).succeeded());
        assertTrue(from.exec("ping", "-n", "-c", "3", "-i", "0.2", "-W", "2", to).succeeded(),
                "ping from " + from.name + " to " + to);
    }
}
