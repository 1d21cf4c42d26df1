package io.cryptun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.cli.it.MeshLab.WgPeer;
import io.cryptun.cli.it.RealBmx7Lab.Node;
import io.cryptun.cli.mesh.MeshOptions;
import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.routing.bmx7.Bmx7Options;
import io.cryptun.testkit.NetnsAssumptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * cryptun next to real bmx7 daemons ({@link RealBmx7Lab}: A — B, B — C, B — D; C and D gateways,
 * A a client, B a relay), asserted on what bmx7 itself holds (its {@code parameters} through its
 * control socket, its log), on what cryptun installs ({@code wg show}) and on traffic. Runs when
 * {@code BMX7=/path/to/bmx7} is set (CI has no bmx7: it is skipped there, saying why). Prints a
 * transcript: each step and how long the mesh took to follow.
 */
@Tag("netns")
class RealBmx7MeshIT {
    private static final String MARKER = "5e1f0c2a7b9d4e3f8a6c1b0d2e4f6a8c";
    private static final Duration CHANGE = Duration.ofSeconds(30);
    private static final String TABLE = Integer.toString(MeshOptions.DEFAULT_TABLE);
    private static final String[] A_ARGS = {"--tun4", "10.254.1.1/32", "--tun6", "2001:db8:1::1/128",
        "--tun-out", "v4any=10.0.0.0/8", "--tun-out", "v6any=2001:db8::/32"};
    private static final String[] B_ARGS = {"--tun4", "10.254.2.1/32", "--tun6", "2001:db8:2::1/128"};
    private static final String[] C_ARGS = {"--tun4", "10.254.3.1/32", "--tun6", "2001:db8:3::1/128",
        "--tun-in", "gw4=10.99.0.0/16,bandwidth=32000000", "--tun-in", "gw6=2001:db8:99::/48,bandwidth=16000000"};
    private static final String[] D_ARGS = {"--tun4", "10.254.4.1/32", "--tun6", "2001:db8:4::1/128",
        "--tun-in", "gw4=10.99.0.0/16,bandwidth=8000000"};

    private static void assumeBmx7AndNamespaces() {
        String missing = RealBmx7Lab.Bmx7Install.missingReason();
        if (missing != null) {
            System.err.println("RealBmx7MeshIT skipped: " + missing);
        }
        Assumptions.assumeTrue(missing == null, missing);
        NetnsAssumptions.assumeNetns();
        NetnsAssumptions.assumeCommand("wg");
        NetnsAssumptions.assumeCommand("tcpdump");
        NetnsAssumptions.assumeCommand("cc");
    }

    @Test
    void theMeshWorksWithRealBmx7InEveryModeAndThroughBmx7Restarts() throws Exception {
        assumeBmx7AndNamespaces();
        try (RealBmx7Lab lab = new RealBmx7Lab(false)) {
            try {
                startAll(lab);
                recordsAndPeersBothWays(lab);
                trafficCrossesWireGuardOnly(lab);
                preferHandsBmx7WhatOnlyAKeylessGatewayOffers(lab);
                offHandsBmx7EverySearch(lab);
                aNewKeyIsFollowed(lab);
                bmx7RestartsAreFollowedWithoutTouchingCryptun(lab, 3);
                aNodeThatLeavesIsDropped(lab);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError(e.getMessage() + "\n" + lab.logs(), e);
            }
        }
    }

    @Test
    void bmx7RestartsOnTmpfsAreFollowedToo() throws Exception {
        assumeBmx7AndNamespaces();
        try (RealBmx7Lab lab = new RealBmx7Lab(true)) {
            try {
                startAll(lab);
                requirePing(lab, "10.99.0.1");
                bmx7RestartsAreFollowedWithoutTouchingCryptun(lab, 3);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError(e.getMessage() + "\n" + lab.logs(), e);
            }
        }
    }

    private static void say(RealBmx7Lab lab, String line) {
        System.out.println("[" + lab.filesystem() + "] " + line);
    }

    private static void startAll(RealBmx7Lab lab) throws Exception {
        long t0 = System.nanoTime();
        lab.startBmx7AndConverge(Duration.ofSeconds(90));
        say(lab, "4 real bmx7 daemons know each other after " + ms(t0) + " ms (runtime dirs on " + lab.filesystem() + ")");
        lab.node("C").startCryptun(C_ARGS);
        lab.node("D").startCryptun(D_ARGS);
        lab.node("B").startCryptun(B_ARGS);
        lab.node("A").startCryptun(withMode("require", A_ARGS));
    }

    private static String[] withMode(String mode, String[] args) {
        List<String> l = new ArrayList<>(List.of("--crypt", mode));
        l.addAll(List.of(args));
        return l.toArray(new String[0]);
    }

    /** Each node's record travels in its signed bmx7 description: every node peers with the other three. */
    private static void recordsAndPeersBothWays(RealBmx7Lab lab) throws Exception {
        long t0 = System.nanoTime();
        for (Node n : lab.nodes.values()) {
            Set<String> others = new TreeSet<>();
            for (Node o : lab.nodes.values()) {
                if (o != n) {
                    others.add(o.publicKey());
                }
            }
            MeshLab.await(n.name + " peers with the other three (records read from real bmx7)", CHANGE,
                    () -> n.peers().keySet().equals(others));
            for (Node o : lab.nodes.values()) {
                if (o != n) {
                    assertEquals(o.endpoint(), n.peers().get(o.publicKey()).endpoint(), n.name + "'s endpoint for " + o.name);
                }
            }
            Bmx7Options p = n.parameters();
            assertNotNull(p, n.name + "'s bmx7 answers parameters");
            assertTrue(p.has("syncSms", "cryptun"), n.name + "'s bmx7 publishes the record: " + p.get("syncSms"));
        }
        assertTrue(lab.node("C").parameters().has("tunIn", "gw4") && lab.node("C").parameters().has("tunIn", "gw6"));
        assertTrue(lab.node("D").parameters().has("tunIn", "gw4"));
        say(lab, "12 of 12 node pairs are peers, endpoints at the fd70 primary addresses, after " + ms(t0) + " ms");
        Node a = lab.node("A");
        MeshLab.await("A routes 10.99.0.0/16 through a keyed gateway and 2001:db8:99::/48 through C", CHANGE,
                () -> gatewayOf(lab, "10.99.0.0/16") != null && allowed(a, lab.node("C")).contains("2001:db8:99::/48"));
        String table = a.exec("ip", "-4", "route", "show", "table", TABLE).requireSuccess().stdout();
        assertTrue(table.contains("10.99.0.0/16 dev " + a.ifname), table);
        say(lab, "A chose " + gatewayOf(lab, "10.99.0.0/16").name + " for 10.99.0.0/16 (C and D both offer it) and C for"
                + " 2001:db8:99::/48");
    }

    /** Pings from A into C's offered networks; tcpdump on B's link to A sees only WireGuard, bmx7 and neighbour discovery. */
    private static void trafficCrossesWireGuardOnly(RealBmx7Lab lab) throws Exception {
        Node a = lab.node("A");
        Node b = lab.node("B");
        requirePing(lab, "10.99.0.1");
        MeshLab.requirePings(a.ns, "A", "2001:db8:99::3", CHANGE, "-c", "2");
        Path pcap = lab.workDir.resolve("underlay.pcap");
        Path log = lab.workDir.resolve("tcpdump.log");
        Process tcpdump = b.ns.spawn(List.of("tcpdump", "-i", "vB0", "-n", "--immediate-mode", "-U", "-Z", "root", "-s", "0",
                "-w", pcap.toString()), log);
        Capture.awaitListening(tcpdump, log);
        MeshLab.requirePings(a.ns, "A", "10.99.0.1", CHANGE, "-c", "4", "-p", MARKER);
        MeshLab.requirePings(a.ns, "A", "2001:db8:99::3", CHANGE, "-c", "4", "-p", MARKER);
        Thread.sleep(1000);
        ProcessHandle.of(tcpdump.pid()).ifPresent(ProcessHandle::destroy);
        assertTrue(tcpdump.waitFor(10, TimeUnit.SECONDS), "tcpdump stops");
        Set<String> primaries = new TreeSet<>();
        lab.nodes.values().forEach(n -> primaries.add(n.primaryAddress()));
        byte[] marker = HexFormat.of().parseHex(MARKER.substring(0, 16));
        int wireGuardData = 0;
        int bmx7Packets = 0;
        Map<String, Integer> seen = new TreeMap<>();
        for (Pcap.Frame f : Pcap.read(pcap)) {
            assertFalse(Pcap.contains(f.raw(), marker), "the ping marker appears in clear on the underlay");
            assertEquals(0x86dd, f.etherType(), "only IPv6 on the underlay");
            if (f.icmp6Type() >= 0) {
                assertTrue(Set.of(130, 131, 132, 133, 134, 135, 136, 143).contains(f.icmp6Type()), "ICMPv6 type " + f.icmp6Type());
                continue;
            }
            assertTrue(f.isUdp6(), "only UDP besides neighbour discovery");
            String src = IpPrefix.hostString(f.src());
            String dst = IpPrefix.hostString(f.dst());
            if (f.udpSrcPort() == 6270 || f.udpDstPort() == 6270) {
                // bmx7's own protocol: link-local, signed descriptions and OGMs
                assertTrue(src.startsWith("fe80:"), "bmx7 speaks link-local: " + src);
                bmx7Packets++;
                continue;
            }
            assertTrue(primaries.contains(src) && primaries.contains(dst), "WireGuard between primary addresses: " + src + " -> " + dst);
            assertEquals(RealBmx7Lab.PORT, f.udpSrcPort());
            int type = Pcap.wireGuardType(f.udpPayload());
            assertTrue(type > 0, "a WireGuard message");
            seen.merge("wg" + type, 1, Integer::sum);
            if (type == 4 && f.udpPayload().length > 32) {
                wireGuardData++;
            }
        }
        assertTrue(wireGuardData >= 16, "8 echo requests and 8 replies crossed inside WireGuard: " + seen);
        say(lab, "A pings 10.99.0.1 and 2001:db8:99::3 in the offered networks through WireGuard; underlay on B's link: "
                + seen + ", " + bmx7Packets + " bmx7 packets, the marker never in clear");
    }

    /**
     * prefer: D's cryptun stops and D's bmx7 offers 10.88.0.0/16 itself (a gateway without a key):
     * A hands bmx7 narrowed searches for what only D offers, bmx7 accepts every one, and C's
     * networks stay on WireGuard.
     */
    private static void preferHandsBmx7WhatOnlyAKeylessGatewayOffers(RealBmx7Lab lab) throws Exception {
        Node a = lab.node("A");
        Node d = lab.node("D");
        d.stopCryptun();
        d.control().tunIn("plain", IpPrefix.parse("10.88.0.0/16"), 50_000_000);
        a.stopCryptun();
        long t0 = System.nanoTime();
        a.startCryptun(withMode("prefer", A_ARGS));
        MeshLab.await("A's bmx7 holds a hand-off for D's 10.88.0.0/16", CHANGE, () -> handoffs(a).stream()
                .anyMatch(s -> s.contains("/network=10.88.0.0/16") && s.contains("/gwId=" + d.id)));
        Thread.sleep(3000);
        List<String> held = handoffs(a);
        for (String h : held) {
            assertTrue(h.contains("/gwId=" + d.id) && h.contains("/tableRule=32765/" + TABLE), h);
        }
        assertTrue(held.stream().noneMatch(h -> h.contains("10.99.")), "C's networks stay on WireGuard: " + held);
        String sent = Files.readString(a.cryptunLog);
        long handed = sent.lines().filter(l -> l.contains("handed to bmx7's plain tunnels: tunOut=")).count();
        assertTrue(handed >= held.size() && !held.isEmpty(), "every hand-off cryptun made is in bmx7's parameters: " + held);
        assertFalse(Files.readString(a.bmx7Log).contains("ERROR opt_tun_search"), "bmx7 refused nothing");
        MeshLab.await("A routes 10.99.0.0/16 to C through WireGuard (D has no key now)", CHANGE,
                () -> allowed(a, lab.node("C")).contains("10.99.0.0/16"));
        requirePing(lab, "10.99.3.1");
        say(lab, "prefer: bmx7 accepted all " + held.size() + " hand-offs " + held + " after " + ms(t0) + " ms");
        a.stopCryptun();
        MeshLab.await("A's hand-offs are withdrawn on stop", CHANGE, () -> handoffs(a).isEmpty());
        d.control().removeTunIn("plain");
        d.startCryptun(D_ARGS);
    }

    /** off: A's searches go to bmx7 unchanged, and bmx7 holds them; no key is announced, the others drop A. */
    private static void offHandsBmx7EverySearch(RealBmx7Lab lab) throws Exception {
        Node a = lab.node("A");
        String keyA = a.publicKey();
        long t0 = System.nanoTime();
        a.startCryptun(withMode("off", A_ARGS));
        MeshLab.await("A's bmx7 holds both searches, unchanged", CHANGE, () -> {
            Bmx7Options p = a.parameters();
            return p != null && p.instance("tunOut", "v4any").map(i -> i.children().get("network").equals("10.0.0.0/8")
                    && i.children().get("tableRule").equals("32765/" + TABLE)).orElse(false)
                    && p.instance("tunOut", "v6any").map(i -> i.children().get("network").equals("2001:db8::/32")).orElse(false);
        });
        assertFalse(a.parameters().has("syncSms", "cryptun"), "off announces no key");
        assertFalse(Files.readString(a.bmx7Log).contains("ERROR opt_tun_search"), "bmx7 refused nothing");
        MeshLab.await("C drops A (no key announced)", CHANGE, () -> !lab.node("C").peers().containsKey(keyA));
        assertEquals(Map.of(), a.peers());
        say(lab, "off: bmx7 accepted tunOut=v4any and v6any with tableRule=32765/" + TABLE + ", the others dropped A, after "
                + ms(t0) + " ms");
        a.stopCryptun();
        MeshLab.await("A's searches are withdrawn from bmx7 on stop", CHANGE, () -> handoffs(a).isEmpty());
        a.startCryptun(withMode("require", A_ARGS));
        MeshLab.await("A routes 10.99.0.0/16 through a keyed gateway again", CHANGE, () -> gatewayOf(lab, "10.99.0.0/16") != null);
    }

    /** C restarts with a new key: it withdraws its record on SIGTERM, announces the new key, and A follows. */
    private static void aNewKeyIsFollowed(RealBmx7Lab lab) throws Exception {
        Node a = lab.node("A");
        Node c = lab.node("C");
        String oldKey = c.publicKey();
        c.stopCryptun();
        long t0 = System.nanoTime();
        MeshLab.await("A drops C's key once C withdrew its record", CHANGE, () -> !a.peers().containsKey(oldKey));
        say(lab, "cryptun on C stopped: A dropped C's peer after " + ms(t0) + " ms");
        Files.delete(c.keyFile);
        c.startCryptun(C_ARGS);
        String newKey = c.publicKey();
        assertFalse(newKey.equals(oldKey));
        t0 = System.nanoTime();
        MeshLab.await("A peers with C's new key and routes C's 2001:db8:99::/48 to it", CHANGE,
                () -> a.peers().containsKey(newKey) && allowed(a, c).contains("2001:db8:99::/48"));
        MeshLab.requirePings(a.ns, "A", "2001:db8:99::3", CHANGE, "-c", "2");
        requirePing(lab, "10.99.0.1");
        say(lab, "cryptun on C back with a new key: A peered with it and pings again after " + ms(t0) + " ms");
    }

    /**
     * C's bmx7 restarted (SIGTERM, same command line) several times in a row, cryptun left alone:
     * each time bmx7 holds the record and the offers again and A pings into C's network again.
     */
    private static void bmx7RestartsAreFollowedWithoutTouchingCryptun(RealBmx7Lab lab, int times) throws Exception {
        Node a = lab.node("A");
        Node c = lab.node("C");
        for (int i = 1; i <= times; i++) {
            Object inodeBefore = c.socketInode();
            long sqnBefore = a.descriptionOf(c).descSqn();
            long t0 = System.nanoTime();
            c.stopBmx7();
            c.startBmx7();
            MeshLab.await("C's bmx7 is back", CHANGE, () -> c.parameters() != null);
            Object inodeAfter = c.socketInode();
            MeshLab.await("restart " + i + ": C's bmx7 holds syncSms, gw4 and gw6 again", CHANGE, () -> {
                Bmx7Options p = c.parameters();
                return p != null && p.has("syncSms", "cryptun") && p.has("tunIn", "gw4") && p.has("tunIn", "gw6");
            });
            long held = ms(t0);
            MeshLab.await("restart " + i + ": A's bmx7 holds C's new description with the record", Duration.ofSeconds(60),
                    () -> {
                        io.cryptun.routing.bmx7.Bmx7Description d = a.descriptionOf(c);
                        return d != null && d.descSqn() > sqnBefore && d.carriesSms("cryptun");
                    });
            long carried = ms(t0);
            MeshLab.await("restart " + i + ": A routes C's 2001:db8:99::/48 to C", Duration.ofSeconds(60),
                    () -> allowed(a, c).contains("2001:db8:99::/48"));
            MeshLab.requirePings(a.ns, "A", "2001:db8:99::3", Duration.ofSeconds(60), "-c", "2");
            requirePing(lab, "10.99.0.1");
            say(lab, "bmx7 restart " + i + " on C (socket inode " + (inodeBefore != null && inodeBefore.equals(inodeAfter)
                    ? "reused" : "new") + "): settings back after " + held + " ms, bmx7 carried C's record to A after "
                    + carried + " ms, A pings 2001:db8:99::3 through C and 10.99.0.1 after "
                    + ms(t0) + " ms (10.99.0.0/16 through " + gatewayOf(lab, "10.99.0.0/16").name + ")");
        }
    }

    /** D's cryptun stops: it withdraws its record, and bmx7 carries that to the others, which drop D. */
    private static void aNodeThatLeavesIsDropped(RealBmx7Lab lab) throws Exception {
        Node d = lab.node("D");
        String keyD = d.publicKey();
        d.stopCryptun();
        long t0 = System.nanoTime();
        for (String n : List.of("A", "B", "C")) {
            MeshLab.await(n + " drops D", CHANGE, () -> !lab.node(n).peers().containsKey(keyD));
        }
        say(lab, "cryptun on D stopped: A, B and C dropped D after " + ms(t0) + " ms");
    }

    private static void requirePing(RealBmx7Lab lab, String to) throws InterruptedException {
        MeshLab.requirePings(lab.node("A").ns, "A", to, Duration.ofSeconds(60), "-c", "2");
    }

    /** The node A routes {@code prefix} through, or null. */
    private static Node gatewayOf(RealBmx7Lab lab, String prefix) {
        for (Node n : lab.nodes.values()) {
            if (n != lab.node("A") && allowed(lab.node("A"), n).contains(prefix)) {
                return n;
            }
        }
        return null;
    }

    /** The tunOut options bmx7 holds, as {@code tunOut=NAME /child=value...}. */
    private static List<String> handoffs(Node n) {
        Bmx7Options p = n.parameters();
        List<String> out = new ArrayList<>();
        if (p != null) {
            for (Bmx7Options.Instance i : p.get("tunOut")) {
                StringBuilder sb = new StringBuilder("tunOut=" + i.value());
                i.children().forEach((k, v) -> sb.append(" /").append(k).append('=').append(v));
                out.add(sb.toString());
            }
        }
        return out;
    }

    private static List<String> allowed(Node on, Node of) {
        try {
            WgPeer p = on.peers().get(of.publicKey());
            return p == null ? List.of() : p.allowedIps();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static long ms(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
