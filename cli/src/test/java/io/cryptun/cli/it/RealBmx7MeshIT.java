package io.cryptun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.cli.it.MeshLab.WgPeer;
import io.cryptun.cli.it.RealBmx7Lab.Node;
import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.routing.bmx7.Bmx7Options;
import io.cryptun.testkit.NetnsAssumptions;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.attribute.FileTime;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * cryptun next to real bmx7 daemons ({@link RealBmx7Lab}: A — B, B — C, B — D; C and D gateways,
 * A a client, B a relay), asserted on what bmx7 itself holds and says (its {@code parameters},
 * {@code show=originators}/{@code links} through its control socket, its json files, its log), on
 * what cryptun installs ({@code wg show}, {@code ip route}/{@code rule}) and on traffic (ping,
 * tcpdump). Runs when {@code BMX7=/path/to/bmx7} is set (CI has no bmx7: it is skipped there,
 * saying why). Prints a transcript: each step and how long the mesh took to follow.
 *
 * <ul>
 * <li>{@code theMeshWorksWithRealBmx7InEveryMode} (ext4): records and peers both ways at bmx7's
 * primary addresses, a session on every pair, pings into C's networks through WireGuard and
 * nothing in clear on the underlay; {@code require}, {@code prefer} (D's cryptun stopped and D's
 * bmx7 offering 10.88.0.0/16 itself: a gateway without a key) and {@code off}, each with bmx7
 * holding exactly what cryptun handed it and refusing nothing; a new key on C followed; D's
 * cryptun stopped (dropped at once), then D's bmx7 stopped (dropped after bmx7's timeouts).
 * <li>{@code bmx7RestartsOnExt4AreFollowed}, {@code bmx7RestartsOnTmpfsAreFollowed}: C's bmx7
 * restarted three times in a row and A's once, cryptun untouched; each time the settings, the
 * description at the other side, the routes and the pings come back, and the restarted node
 * keeps its peers meanwhile. On ext4 the new socket usually gets the old inode: a cryptun that
 * sees restarts by the socket's inode alone fails here (checked against main at ad66017).
 * </ul>
 *
 * <pre>
 * BMX7=/path/to/bmx7 mvn -B verify -pl cli -am -Dit.test=RealBmx7MeshIT -Dtest=none \
 *     -Dsurefire.failIfNoSpecifiedTests=false -DfailIfNoTests=false [-Dctrb.keepLogs=DIR] [-Dcryptun.jar=OTHER.jar]
 * </pre>
 */
@Tag("netns")
class RealBmx7MeshIT {
    private static final String MARKER = "5e1f0c2a7b9d4e3f8a6c1b0d2e4f6a8c";
    private static final Duration CHANGE = Duration.ofSeconds(30);
    private static final String[] A_ARGS = {"--tun4", "10.254.1.1/32", "--tun6", "2001:db8:1::1/128",
        "--tun-out", "v4any=10.0.0.0/8", "--tun-out", "v6any=2001:db8::/32"};
    private static final String[] B_ARGS = {"--tun4", "10.254.2.1/32", "--tun6", "2001:db8:2::1/128"};
    private static final String[] C_ARGS = {"--tun4", "10.254.3.1/32", "--tun6", "2001:db8:3::1/128",
        "--tun-in", "gw4=10.99.0.0/16,bandwidth=32000000", "--tun-in", "gw6=2001:db8:99::/48,bandwidth=16000000"};
    private static final String[] D_ARGS = {"--tun4", "10.254.4.1/32", "--tun6", "2001:db8:4::1/128",
        "--tun-in", "gw4=10.99.0.0/16,bandwidth=8000000"};
    /** D in the restart tests: a node like B, so C is the only gateway of 10.99.0.0/16. */
    private static final String[] D_NO_OFFER_ARGS = {"--tun4", "10.254.4.1/32", "--tun6", "2001:db8:4::1/128"};
    /** A hand-off as cryptun logs it when bmx7 took it: {@code tunOut=NAME /child=value...}. */
    private static final Pattern HANDED = Pattern.compile("handed to bmx7's plain tunnels: (tunOut=\\S+(?: /\\S+=\\S+)*)");
    private static final Pattern WITHDRAWN = Pattern.compile("bmx7 no longer searches tunOut=(\\S+) for cryptun");

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
    void theMeshWorksWithRealBmx7InEveryMode() throws Exception {
        assumeBmx7AndNamespaces();
        try (RealBmx7Lab lab = new RealBmx7Lab(false)) {
            try {
                startAll(lab, D_ARGS);
                recordsAndPeersBothWays(lab);
                everyPairHandshakes(lab);
                trafficCrossesWireGuardOnly(lab);
                requireHandsBmx7Nothing(lab);
                preferHandsBmx7WhatOnlyAKeylessGatewayOffers(lab);
                offHandsBmx7EverySearch(lab);
                aNewKeyIsFollowed(lab);
                aNodeThatLeavesIsDropped(lab);
                aNodeWhoseBmx7StopsIsDroppedAfterBmx7sTimeouts(lab);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError(e.getMessage() + "\n" + lab.logs(), e);
            }
        }
    }

    /*
     * bmx7 restarted with its runtime directory on ext4 (where the new control socket often gets
     * the old inode) and on a tmpfs. D offers nothing here, so C is the only gateway of
     * 10.99.0.0/16 and a ping to 10.99.3.1 (on C only) proves that C's IPv4 offer came back.
     */

    @Test
    void bmx7RestartsOnExt4AreFollowed() throws Exception {
        bmx7Restarts(false);
    }

    @Test
    void bmx7RestartsOnTmpfsAreFollowed() throws Exception {
        bmx7Restarts(true);
    }

    private static void bmx7Restarts(boolean tmpfs) throws Exception {
        assumeBmx7AndNamespaces();
        try (RealBmx7Lab lab = new RealBmx7Lab(tmpfs)) {
            try {
                startAll(lab, D_NO_OFFER_ARGS);
                Node a = lab.node("A");
                Node c = lab.node("C");
                MeshLab.await("A routes 10.99.0.0/16 and 2001:db8:99::/48 to C", CHANGE,
                        () -> allowed(a, c).containsAll(List.of("10.99.0.0/16", "2001:db8:99::/48")));
                requirePing(lab, "10.99.3.1");
                MeshLab.requirePings(a.ns, "A", "2001:db8:99::3", CHANGE, "-c", "2");
                bmx7RestartsOfTheGatewayAreFollowedWithoutTouchingCryptun(lab, 3);
                aBmx7RestartOfTheClientIsFollowed(lab);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError(e.getMessage() + "\n" + lab.logs(), e);
            }
        }
    }

    private static void say(RealBmx7Lab lab, String line) {
        System.out.println("[" + lab.filesystem() + "] " + line);
    }

    private static void startAll(RealBmx7Lab lab, String[] dArgs) throws Exception {
        long t0 = System.nanoTime();
        lab.startBmx7AndConverge(Duration.ofSeconds(90));
        say(lab, "4 real bmx7 daemons know each other after " + ms(t0) + " ms (runtime dirs on " + lab.filesystem() + ")");
        lab.node("C").startCryptun(C_ARGS);
        lab.node("D").startCryptun(dArgs);
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
                    // the endpoint is the primary address n's own bmx7 reports for o (json/originators)
                    String ip = bmx7PrimaryIp(n, o);
                    assertTrue(ip != null && ip.startsWith("fd70:"), n.name + "'s bmx7 reports " + o.name + " at " + ip);
                    String endpoint = n.peers().get(o.publicKey()).endpoint();
                    assertEquals(java.net.InetAddress.getByName(ip),
                            java.net.InetAddress.getByName(endpoint.substring(1, endpoint.lastIndexOf(']'))),
                            n.name + "'s endpoint for " + o.name + ": " + endpoint);
                    assertTrue(endpoint.endsWith("]:" + RealBmx7Lab.PORT), endpoint);
                    assertEquals(o.endpoint(), endpoint, n.name + "'s endpoint for " + o.name);
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
        // which table cryptun uses is read from the kernel, not assumed: the table holding the route, and its rule
        String routes = a.exec("ip", "-4", "route", "show", "table", "all").requireSuccess().stdout();
        Matcher m = Pattern.compile("(?m)^10\\.99\\.0\\.0/16 dev " + Pattern.quote(a.ifname) + " table (\\S+)").matcher(routes);
        assertTrue(m.find(), "A routes 10.99.0.0/16 through " + a.ifname + ":\n" + routes);
        String table = m.group(1);
        String rules = a.exec("ip", "-4", "rule").requireSuccess().stdout();
        String rule = rules.lines().filter(l -> l.endsWith("lookup " + table) || l.contains("lookup " + table + " "))
                .findFirst().orElse(null);
        assertNotNull(rule, "a rule sends A's traffic to table " + table + ":\n" + rules);
        String rules6 = a.exec("ip", "-6", "rule").requireSuccess().stdout();
        assertTrue(rules6.contains("lookup 70") && rules6.contains("lookup " + table), "bmx7's rule to table 70 and cryptun's:\n"
                + rules6);
        String table70 = a.exec("ip", "-6", "route", "show", "table", "70").requireSuccess().stdout();
        for (Node o : lab.nodes.values()) {
            if (o != a) {
                assertTrue(table70.contains(o.primaryAddress() + " via fe80:"), "bmx7 routes " + o.name
                        + "'s primary address (the WireGuard endpoint) in table 70:\n" + table70);
            }
        }
        say(lab, "A chose " + gatewayOf(lab, "10.99.0.0/16").name + " for 10.99.0.0/16 (C and D both offer it) and C for"
                + " 2001:db8:99::/48; route in table " + table + ", rule '" + rule.strip() + "'");
    }

    /**
     * Every node pings every other node's tunnel address: all 12 directed pairs carry traffic and
     * both sides of every pair show a handshake (sessions other than to gateways come with traffic).
     */
    private static void everyPairHandshakes(RealBmx7Lab lab) throws Exception {
        long t0 = System.nanoTime();
        for (Node n : lab.nodes.values()) {
            for (Node o : lab.nodes.values()) {
                if (o != n) {
                    MeshLab.requirePings(n.ns, n.name, "10.254." + o.number + ".1", CHANGE, "-c", "1");
                }
            }
        }
        List<String> pairs = new ArrayList<>();
        for (Node n : lab.nodes.values()) {
            Map<String, WgPeer> peers = n.peers();
            for (Node o : lab.nodes.values()) {
                if (o != n) {
                    WgPeer p = peers.get(o.publicKey());
                    assertNotNull(p, n.name + " peers with " + o.name);
                    assertTrue(p.latestHandshake() > 0 && p.rx() > 0 && p.tx() > 0,
                            n.name + " has a session with " + o.name + ": " + p);
                    pairs.add(n.name + o.name);
                }
            }
        }
        say(lab, "every node pinged every other node's tunnel address: " + pairs.size() + " directed pairs with a handshake"
                + " and traffic both ways (" + String.join(" ", pairs) + "), after " + ms(t0) + " ms");
    }

    /** require: cryptun hands bmx7 no search; bmx7 holds only the record sync. */
    private static void requireHandsBmx7Nothing(RealBmx7Lab lab) throws Exception {
        Node a = lab.node("A");
        assertEquals(List.of(), handoffs(a), "require hands bmx7 no tunOut");
        assertEquals(Map.of(), sentHandoffs(a), "require hands bmx7 no tunOut (cryptun's log)");
        assertTrue(a.parameters().has("syncSms", "cryptun"));
        assertEquals(List.of(), refusals(a, 0), "bmx7 refused nothing");
        say(lab, "require: A's bmx7 holds syncSms=cryptun and no tunOut; A's searches are served by WireGuard only");
    }

    /** Pings from A into C's offered networks; tcpdump on B's link to A sees only WireGuard, bmx7 and neighbour discovery. */
    private static void trafficCrossesWireGuardOnly(RealBmx7Lab lab) throws Exception {
        Node a = lab.node("A");
        Node b = lab.node("B");
        requirePing(lab, "10.99.0.1");
        Node gw = gatewayOf(lab, "10.99.0.0/16");
        requirePing(lab, "10.99." + gw.number + ".1");
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
        long bmx7LogMark = Files.size(a.bmx7Log);
        long t0 = System.nanoTime();
        a.startCryptun(withMode("prefer", A_ARGS));
        MeshLab.await("A's bmx7 holds a hand-off for D's 10.88.0.0/16", CHANGE, () -> noRefusal(a, bmx7LogMark)
                && handoffs(a).stream().anyMatch(s -> s.contains("/network=10.88.0.0/16") && s.contains("/gwId=" + d.id)));
        Thread.sleep(3000);
        List<String> held = handoffs(a);
        Map<String, Map<String, String>> sent = sentHandoffs(a);
        assertFalse(sent.isEmpty(), "cryptun handed bmx7 something in prefer mode");
        assertEquals(sent.keySet(), heldByName(a).keySet(), "bmx7 holds exactly the hand-offs cryptun made: " + held);
        sent.forEach((name, children) -> assertEquals(children, heldByName(a).get(name),
                "bmx7 holds tunOut=" + name + " as cryptun handed it"));
        for (String h : held) {
            assertTrue(h.contains("/gwId=" + d.id) && h.contains("/tableRule="), h);
        }
        assertTrue(held.stream().noneMatch(h -> h.contains("10.99.")), "C's networks stay on WireGuard: " + held);
        assertEquals(List.of(), refusals(a, bmx7LogMark), "bmx7 refused nothing");
        String raw = a.control().call("parameters");
        for (Map<String, String> c : sent.values()) {
            assertTrue(raw.contains(c.get("tableRule")), "bmx7's parameters reply names tableRule " + c.get("tableRule"));
        }
        MeshLab.await("A routes 10.99.0.0/16 to C through WireGuard (D has no key now)", CHANGE,
                () -> allowed(a, lab.node("C")).contains("10.99.0.0/16"));
        requirePing(lab, "10.99.3.1");
        say(lab, "prefer: bmx7 accepted all " + held.size() + " hand-offs " + held + " after " + ms(t0) + " ms");
        say(lab, "prefer: A's bmx7 parameters, its tunOut part:\n" + tunOutLines(raw));
        a.stopCryptun();
        MeshLab.await("A's hand-offs are withdrawn on stop", CHANGE, () -> handoffs(a).isEmpty());
        d.control().removeTunIn("plain");
        d.startCryptun(D_ARGS);
    }

    /** off: A's searches go to bmx7 unchanged, and bmx7 holds them; no key is announced, the others drop A. */
    private static void offHandsBmx7EverySearch(RealBmx7Lab lab) throws Exception {
        Node a = lab.node("A");
        String keyA = a.publicKey();
        long bmx7LogMark = Files.size(a.bmx7Log);
        long t0 = System.nanoTime();
        a.startCryptun(withMode("off", A_ARGS));
        Map<String, String> searches = Map.of("v4any", "10.0.0.0/8", "v6any", "2001:db8::/32");
        MeshLab.await("A's bmx7 holds both searches", CHANGE,
                () -> noRefusal(a, bmx7LogMark) && heldByName(a).keySet().equals(searches.keySet()));
        Thread.sleep(3000);
        Map<String, Map<String, String>> sent = sentHandoffs(a);
        Map<String, Map<String, String>> held = heldByName(a);
        assertEquals(searches.keySet(), sent.keySet(), "off hands every search to bmx7, under its own name");
        assertEquals(sent, held, "bmx7 holds every search as cryptun handed it");
        searches.forEach((name, network) -> {
            assertEquals(network, held.get(name).get("network"), "tunOut=" + name + " keeps its network");
            assertTrue(Set.of("network", "tableRule").containsAll(held.get(name).keySet()),
                    "tunOut=" + name + " is the search unchanged (only cryptun's table added): " + held.get(name));
        });
        assertFalse(a.parameters().has("syncSms", "cryptun"), "off announces no key");
        assertEquals(List.of(), refusals(a, bmx7LogMark), "bmx7 refused nothing");
        MeshLab.await("C drops A (no key announced)", CHANGE, () -> !lab.node("C").peers().containsKey(keyA));
        assertEquals(Map.of(), a.peers());
        say(lab, "off: bmx7 accepted every search unchanged: " + handoffs(a) + "; the others dropped A, after " + ms(t0) + " ms");
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
     * C's bmx7 restarted (SIGTERM by PID, same command line) several times in a row, cryptun left
     * alone: each time bmx7 holds the record and the offers again, carries them to A in C's
     * description, and A pings into both of C's networks again.
     */
    private static void bmx7RestartsOfTheGatewayAreFollowedWithoutTouchingCryptun(RealBmx7Lab lab, int times)
            throws Exception {
        Node a = lab.node("A");
        Node c = lab.node("C");
        for (int i = 1; i <= times; i++) {
            int round = i;
            Object inodeBefore = c.socketInode();
            FileTime timeBefore = socketTime(c);
            long sqnBefore = a.descriptionOf(c).descSqn();
            long pid = c.bmx7.pid();
            try (PeerWatch onC = new PeerWatch(c, othersOf(lab, c)); PeerWatch onA = new PeerWatch(a, Map.of(c.publicKey(), "C"))) {
                long t0 = System.nanoTime();
                c.stopBmx7();
                c.startBmx7();
                MeshLab.await("restart " + i + ": C's bmx7 (pid " + pid + " -> " + c.bmx7.pid() + ") answers", CHANGE,
                        () -> answers(c));
                long answers = ms(t0);
                Object inodeAfter = c.socketInode();
                FileTime timeAfter = socketTime(c);
                String socket = "socket inode " + (inodeBefore != null && inodeBefore.equals(inodeAfter)
                        ? "REUSED (" + inodeAfter + ")" : "new (" + inodeBefore + " -> " + inodeAfter + ")") + ", socket time "
                        + (timeBefore != null && timeBefore.equals(timeAfter) ? "unchanged" : "changed");
                MeshLab.await("restart " + i + " (" + socket + "): C's bmx7 holds syncSms=cryptun, tunIn=gw4 and tunIn=gw6 again",
                        CHANGE, () -> {
                    Bmx7Options p = c.parameters();
                    return p != null && p.has("syncSms", "cryptun") && p.has("tunIn", "gw4") && p.has("tunIn", "gw6");
                });
                long held = ms(t0);
                MeshLab.await("restart " + i + ": A's bmx7 holds C's new description with the record and both offers",
                        Duration.ofSeconds(60), () -> {
                            lab.tendBmx7();
                            io.cryptun.routing.bmx7.Bmx7Description d = a.descriptionOf(c);
                            return d != null && d.descSqn() > sqnBefore && d.carriesSms("cryptun")
                                    && offersIn(d).containsAll(List.of("10.99.0.0/16", "2001:db8:99::/48"));
                        });
                long carried = ms(t0);
                MeshLab.await("restart " + i + ": A routes 10.99.0.0/16 and 2001:db8:99::/48 to C", Duration.ofSeconds(60),
                        () -> allowed(a, c).containsAll(List.of("10.99.0.0/16", "2001:db8:99::/48")));
                long routed = ms(t0);
                requirePing(lab, "10.99.3.1");
                MeshLab.requirePings(a.ns, "A", "2001:db8:99::3", Duration.ofSeconds(60), "-c", "2");
                say(lab, "bmx7 restart " + round + " on C: " + socket + "; bmx7 answers after "
                        + answers + " ms, holds syncSms/gw4/gw6 after " + held + " ms, A's bmx7 has C's new description (descSqn "
                        + sqnBefore + " -> " + a.descriptionOf(c).descSqn() + ") with record and offers after " + carried
                        + " ms, A routes both to C after " + routed + " ms, A pings 10.99.3.1 and 2001:db8:99::3 after "
                        + ms(t0) + " ms");
                say(lab, "  during restart " + round + ": C (its bmx7 restarted) " + onC + "; A " + onA);
                assertTrue(onC.keptAll(), "C keeps its peers while its bmx7 relearns the mesh (docs/mesh.md, bmx7 restarts): "
                        + onC);
            }
        }
    }

    /** A's bmx7 (the client's) restarted once: the record is given again, C follows, A pings into C's networks. */
    private static void aBmx7RestartOfTheClientIsFollowed(RealBmx7Lab lab) throws Exception {
        Node a = lab.node("A");
        Node c = lab.node("C");
        Object inodeBefore = a.socketInode();
        long sqnBefore = c.descriptionOf(a).descSqn();
        try (PeerWatch onA = new PeerWatch(a, othersOf(lab, a)); PeerWatch onC = new PeerWatch(c, Map.of(a.publicKey(), "A"))) {
            long t0 = System.nanoTime();
            a.stopBmx7();
            a.startBmx7();
            MeshLab.await("A's bmx7 answers again", CHANGE, () -> answers(a));
            MeshLab.await("A's bmx7 holds syncSms=cryptun again", CHANGE, () -> {
                Bmx7Options p = a.parameters();
                return p != null && p.has("syncSms", "cryptun");
            });
            long held = ms(t0);
            assertEquals(List.of(), handoffs(a), "require: still no tunOut on A's bmx7");
            MeshLab.await("C's bmx7 holds A's new description with the record", Duration.ofSeconds(60), () -> {
                lab.tendBmx7();
                io.cryptun.routing.bmx7.Bmx7Description d = c.descriptionOf(a);
                return d != null && d.descSqn() > sqnBefore && d.carriesSms("cryptun");
            });
            long carried = ms(t0);
            String keyA = a.publicKey();
            MeshLab.await("C peers with A", CHANGE, () -> c.peers().containsKey(keyA));
            requirePing(lab, "10.99.3.1");
            MeshLab.requirePings(a.ns, "A", "2001:db8:99::3", Duration.ofSeconds(60), "-c", "2");
            say(lab, "bmx7 restart on A: socket inode " + (inodeBefore != null && inodeBefore.equals(a.socketInode())
                    ? "REUSED" : "new") + ", A's bmx7 holds syncSms after " + held + " ms, C's bmx7 has A's new description"
                    + " after " + carried + " ms, A pings 10.99.3.1 and 2001:db8:99::3 after " + ms(t0) + " ms");
            say(lab, "  during the restart: A (its bmx7 restarted) " + onA + "; C " + onC);
            assertTrue(onA.keptAll(), "A keeps its peers while its bmx7 relearns the mesh (docs/mesh.md, bmx7 restarts): " + onA);
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

    /**
     * D comes back, then D's bmx7 stops (SIGTERM) while D's cryptun keeps running: nothing tells
     * the others, so they drop D once their bmx7 forgets it (bmx7's link and id timeouts, 20 s each
     * by default); bounded at 150 s.
     */
    private static void aNodeWhoseBmx7StopsIsDroppedAfterBmx7sTimeouts(RealBmx7Lab lab) throws Exception {
        Node d = lab.node("D");
        d.startCryptun(D_ARGS);
        String keyD = d.publicKey();
        long t0 = System.nanoTime();
        for (String n : List.of("A", "B", "C")) {
            MeshLab.await(n + " peers with D again", CHANGE, () -> lab.node(n).peers().containsKey(keyD));
        }
        say(lab, "cryptun on D started again: A, B and C peer with D after " + ms(t0) + " ms");
        long pid = d.bmx7.pid();
        t0 = System.nanoTime();
        d.stopBmx7();
        say(lab, "bmx7 on D (pid " + pid + ") stopped with SIGTERM, cryptun on D left running");
        Map<String, Long> linkGone = new TreeMap<>();
        Map<String, Long> originatorGone = new TreeMap<>();
        Map<String, Long> descriptionGone = new TreeMap<>();
        Map<String, Long> peerGone = new TreeMap<>();
        long deadline = t0 + Duration.ofSeconds(150).toNanos();
        while (peerGone.size() < 3 || originatorGone.size() < 3) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("150 s after D's bmx7 stopped: bmx7 forgot D on " + originatorGone.keySet()
                        + ", cryptun dropped D on " + peerGone.keySet());
            }
            for (String name : List.of("A", "B", "C")) {
                Node n = lab.node(name);
                if (name.equals("B") && !linkGone.containsKey(name) && !showContains(n, "links", "nodeD")) {
                    linkGone.put(name, ms(t0));
                }
                if (!originatorGone.containsKey(name) && !showContains(n, "originators", "nodeD")) {
                    originatorGone.put(name, ms(t0));
                }
                if (!descriptionGone.containsKey(name) && !Files.exists(n.runtimeDir.resolve("json/descriptions/" + d.id))) {
                    descriptionGone.put(name, ms(t0));
                }
                if (!peerGone.containsKey(name) && !n.peers().containsKey(keyD)) {
                    peerGone.put(name, ms(t0));
                }
            }
            Thread.sleep(250);
        }
        say(lab, "D's bmx7 stopped: B's bmx7 dropped the link to D after " + linkGone + " ms; bmx7 dropped D from"
                + " show=originators after " + originatorGone + " ms, its json description after " + descriptionGone
                + " ms; cryptun dropped D's peer after " + peerGone + " ms");
    }

    /** True when n's bmx7 answers; one that ended by itself at start is started again (see respawnIfEnded). */
    private static boolean answers(Node n) {
        try {
            n.respawnIfEnded();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return n.parameters() != null;
    }

    /** The other nodes' public keys, with their names. */
    private static Map<String, String> othersOf(RealBmx7Lab lab, Node n) throws java.io.IOException {
        Map<String, String> out = new TreeMap<>();
        for (Node o : lab.nodes.values()) {
            if (o != n) {
                out.put(o.publicKey(), o.name);
            }
        }
        return out;
    }

    /** Watches a node's WireGuard peers in the background (every 200 ms): which expected peers went missing, and when. */
    private static final class PeerWatch implements AutoCloseable {
        private final Node node;
        private final Map<String, String> expected;
        private final long t0 = System.nanoTime();
        private final Map<String, long[]> missing = new java.util.concurrent.ConcurrentSkipListMap<>();
        private final Thread thread;
        private volatile boolean stop;
        private volatile int samples;

        PeerWatch(Node node, Map<String, String> expected) {
            this.node = node;
            this.expected = expected;
            thread = new Thread(this::run, "peer-watch-" + node.name);
            thread.setDaemon(true);
            thread.start();
        }

        private void run() {
            while (!stop) {
                Map<String, WgPeer> peers = node.peers();
                long at = ms(t0);
                expected.forEach((key, name) -> {
                    if (!peers.containsKey(key)) {
                        missing.computeIfAbsent(name, k -> new long[] {at, at})[1] = at;
                    }
                });
                samples++;
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        boolean keptAll() {
            return missing.isEmpty() && samples > 0;
        }

        @Override
        public String toString() {
            if (missing.isEmpty()) {
                return "kept " + new TreeSet<>(expected.values()) + " as peers throughout (" + samples + " samples)";
            }
            StringBuilder sb = new StringBuilder();
            missing.forEach((name, t) -> sb.append(sb.length() == 0 ? "" : ", ").append("had no peer ").append(name)
                    .append(" from ").append(t[0]).append(" to ").append(t[1]).append(" ms"));
            return sb + " (" + samples + " samples)";
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.join(5000);
        }
    }

    /** True when bmx7's {@code show=TABLE} reply on {@code n} mentions {@code word} (true when bmx7 does not answer). */
    private static boolean showContains(Node n, String table, String word) {
        try {
            return n.control().call("show=" + table).contains(word);
        } catch (java.io.IOException | RuntimeException e) {
            return true;
        }
    }

    /** The primary address of {@code of} as {@code on}'s bmx7 reports it (json/originators), or null. */
    private static String bmx7PrimaryIp(Node on, Node of) {
        try {
            Matcher m = Pattern.compile("\"primaryIp\"\\s*:\\s*\"([^\"]+)\"")
                    .matcher(Files.readString(on.runtimeDir.resolve("json/originators/" + of.id)));
            return m.find() ? m.group(1) : null;
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /** The networks a description announces (DSC_TUN4IN6_NET / DSC_TUN6IN6_NET). */
    private static List<String> offersIn(io.cryptun.routing.bmx7.Bmx7Description d) {
        List<String> out = new ArrayList<>();
        d.tunNetworks().forEach(t -> out.add(t.network().toString()));
        return out;
    }

    /** The control socket's modification time, or null. */
    private static FileTime socketTime(Node n) {
        try {
            return Files.getLastModifiedTime(n.runtimeDir.resolve("sock"), LinkOption.NOFOLLOW_LINKS);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /**
     * The hand-offs the running cryptun on {@code n} made and did not withdraw, read from its log
     * ("handed to bmx7's plain tunnels: tunOut=NAME /child=value..."), by name.
     */
    private static Map<String, Map<String, String>> sentHandoffs(Node n) throws java.io.IOException {
        String log = Files.readString(n.cryptunLog);
        log = log.substring(Math.max(0, log.lastIndexOf("---- start")));
        Map<String, Map<String, String>> out = new TreeMap<>();
        for (String line : log.split("\n")) {
            Matcher m = HANDED.matcher(line);
            if (m.find()) {
                String[] parts = m.group(1).split(" ");
                Map<String, String> children = new TreeMap<>();
                for (int i = 1; i < parts.length; i++) {
                    int eq = parts[i].indexOf('=');
                    children.put(parts[i].substring(1, eq), parts[i].substring(eq + 1));
                }
                out.put(parts[0].substring("tunOut=".length()), children);
            }
            Matcher w = WITHDRAWN.matcher(line);
            if (w.find()) {
                out.remove(w.group(1));
            }
        }
        return out;
    }

    /** The tunOut options bmx7 holds, by name, with their child options. */
    private static Map<String, Map<String, String>> heldByName(Node n) {
        Map<String, Map<String, String>> out = new TreeMap<>();
        Bmx7Options p = n.parameters();
        if (p != null) {
            p.get("tunOut").forEach(i -> out.put(i.value(), new TreeMap<>(i.children())));
        }
        return out;
    }

    /**
     * What bmx7 refused since {@code offset} in its log (option handlers' errors, "Invalid"), and
     * what cryptun reported as a failed request to bmx7 in its current run.
     */
    private static List<String> refusals(Node n, long offset) throws java.io.IOException {
        List<String> out = new ArrayList<>();
        byte[] all = Files.readAllBytes(n.bmx7Log);
        String bmx7 = new String(all, (int) Math.min(offset, all.length), (int) (all.length - Math.min(offset, all.length)),
                java.nio.charset.StandardCharsets.UTF_8);
        bmx7.lines().filter(l -> l.contains("ERROR") && (l.contains("opt_") || l.contains("Invalid")
                || l.contains("tunOut") || l.contains("tunIn") || l.contains("syncSms"))).forEach(l -> out.add("bmx7: " + l));
        String cryptun = Files.readString(n.cryptunLog);
        cryptun.substring(Math.max(0, cryptun.lastIndexOf("---- start"))).lines()
                .filter(l -> l.contains(" failed: ") && (l.contains("bmx7") || l.contains("tunOut") || l.contains("tunIn")))
                .forEach(l -> out.add("cryptun: " + l));
        return out;
    }

    /** True while nothing was refused; fails at once, with the refusal, when something was. */
    private static boolean noRefusal(Node n, long offset) {
        try {
            List<String> r = refusals(n, offset);
            if (!r.isEmpty()) {
                throw new AssertionError("bmx7 refused what cryptun handed it:\n" + String.join("\n", r));
            }
            return true;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The tunOut lines (with their child lines) of bmx7's {@code parameters} reply. */
    private static String tunOutLines(String parameters) {
        StringBuilder sb = new StringBuilder();
        boolean in = false;
        for (String l : parameters.split("\n")) {
            if (l.startsWith(" tunOut")) {
                in = true;
            } else if (!l.startsWith("    /")) {
                in = false;
            }
            if (in) {
                sb.append("    ").append(l.strip()).append('\n');
            }
        }
        return sb.toString().stripTrailing();
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
