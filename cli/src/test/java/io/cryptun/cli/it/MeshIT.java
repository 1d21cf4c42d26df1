package io.cryptun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.cli.it.MeshLab.Host;
import io.cryptun.cli.it.MeshLab.WgPeer;
import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.testkit.ExecResult;
import io.cryptun.testkit.NetnsAssumptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * cryptun next to (a stand-in for) bmx7 in a mesh of four namespaces, A — B — C and B — D, where
 * the gateways C and D both offer 10.99.0.0/16 and C has the better path; E is a plain bmx7
 * gateway (no cryptun) offering 10.88.0.0/16 behind D. Everything below is asserted on what
 * cryptun really installs (wg show, ip route, ip rule), on the commands the bmx7 stand-ins
 * receive on their control sockets, and on traffic.
 */
@Tag("netns")
class MeshIT {
    /** What the pings carry (ping -p): must never be seen in clear on the underlay. */
    private static final String MARKER = "c7a9f3e15b2d4e6f8091a2b3c4d5e6f7";
    private static final Duration CHANGE = Duration.ofSeconds(10);
    /** cryptun's default table for its routes (inside bmx7's range: prefer and off hand it to bmx7). */
    private static final String TABLE = Integer.toString(io.cryptun.cli.mesh.MeshOptions.DEFAULT_TABLE);

    private static final String[] A_ARGS = {"--tun4", "10.254.1.1/32", "--tun6", "2001:db8:1::1/128",
        "--tun-out", "v4any=10.0.0.0/8", "--tun-out", "v6any=2001:db8::/32"};
    private static final String[] B_ARGS = {"--tun4", "10.254.2.1/32", "--tun6", "2001:db8:2::1/128"};
    private static final String[] C_ARGS = {"--tun4", "10.254.3.1/32", "--tun6", "2001:db8:3::1/128",
        "--tun-in", "gw4=10.99.0.0/16,bandwidth=32000000", "--tun-in", "gw6=2001:db8:99::/48,bandwidth=16000000"};
    private static final String[] D_ARGS = {"--tun4", "10.254.4.1/32", "--tun6", "2001:db8:4::1/128",
        "--tun-in", "gw4=10.99.0.0/16,bandwidth=8000000"};

    @Test
    void cryptunFollowsBmx7AcrossTheMesh() throws Exception {
        NetnsAssumptions.assumeNetns();
        NetnsAssumptions.assumeCommand("wg");
        NetnsAssumptions.assumeCommand("tcpdump");
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
        c.start(C_ARGS);
        d.start(D_ARGS);
        b.start(B_ARGS);
        a.start(withMode("require", A_ARGS));

        tunnelsComeUpByThemselves(lab);
        String oldKeyC = c.publicKey();
        requireUsesKeyedGatewaysOnly(lab);
        bmx7sOwnOverlappingSearchIsAWarning(lab);
        trafficIsEncryptedOnTheUnderlay(lab);
        anOfferRemovedFromBmx7IsGivenAgain(lab);
        aBmx7RestartThatKeepsItsSocketIsFollowed(lab);
        keyRotationIsFollowed(lab, oldKeyC);
        preferHandsThePlainGatewayToBmx7(lab);
        offHandsEverythingToBmx7AndAnnouncesNoKey(lab);
        aNodeThatIsGoneIsDropped(lab);
    }

    private static String[] withMode(String mode, String[] args) {
        List<String> l = new ArrayList<>(List.of("--crypt", mode));
        l.addAll(List.of(args));
        return l.toArray(new String[0]);
    }

    /**
     * Every node peers with every other cryptun node at its fd70 address. A session comes up without
     * traffic only from the client A (B searches nothing) to the gateway it chose for an offered
     * network (C's 10.99.0.0/16 and 2001:db8:99::/48); the other pairs handshake when traffic
     * needs it, as bmx7's own tunOut builds its tunnels on the first packet: 1 session here, not 6.
     */
    private void tunnelsComeUpByThemselves(MeshLab lab) throws Exception {
        List<Host> all = List.copyOf(lab.hosts.values());
        for (Host h : all) {
            Set<String> others = new TreeSet<>();
            for (Host o : all) {
                if (o != h) {
                    others.add(o.publicKey());
                }
            }
            MeshLab.await(h.name + " peers with the three other cryptun nodes", CHANGE,
                    () -> h.peers().keySet().equals(others));
            for (Host o : all) {
                if (o != h) {
                    WgPeer p = h.peers().get(o.publicKey());
                    assertEquals(o.endpoint(), p.endpoint(), h.name + "'s endpoint for " + o.name);
                }
            }
        }
        String keyC = lab.host("C").publicKey();
        MeshLab.await("A keeps a session with its gateway C without traffic", Duration.ofSeconds(20),
                () -> lab.host("A").peers().get(keyC).latestHandshake() > 0);
        Thread.sleep(2000);
        for (String[] pair : new String[][] {{"A", "B"}, {"A", "D"}, {"B", "C"}, {"B", "D"}, {"C", "D"}}) {
            assertEquals(0, lab.host(pair[0]).peers().get(lab.host(pair[1]).publicKey()).latestHandshake(),
                    pair[0] + " and " + pair[1] + " carry no traffic: no session yet");
        }
        ping(lab.host("A"), "10.254.2.1", "-c", "1");
        assertTrue(lab.host("A").peers().get(lab.host("B").publicKey()).latestHandshake() > 0, "traffic brings the session up");
        Host a = lab.host("A");
        Host c = lab.host("C");
        // the gateway allows its clients their announced tunnel sources
        assertTrue(c.peers().get(a.publicKey()).allowedIps().containsAll(List.of("10.254.1.1/32", "2001:db8:1::1/128")),
                c.peers().toString());
        // C's path is better: it gets the shared network
        MeshLab.await("A routes 10.99.0.0/16 to C", CHANGE, () -> allowed(a, c).contains("10.99.0.0/16"));
        assertTrue(allowed(a, c).contains("2001:db8:99::/48"));
        assertFalse(allowed(a, lab.host("D")).contains("10.99.0.0/16"), "one peer per prefix");
        // announced through bmx7
        assertTrue(c.bmx7.requests().containsAll(List.of("syncSms=cryptun", "tunIn=gw4 /network=10.99.0.0/16 /bandwidth=32000000",
                "tunIn=gw6 /network=2001:db8:99::/48 /bandwidth=16000000")), c.bmx7.requests().toString());
        assertEquals(a.publicKey(), recordKey(Files.readString(a.bmx7.sendSms("cryptun"))));
        // routes through the device, in cryptun's table behind its rule
        String table = a.exec("ip", "-4", "route", "show", "table", TABLE).requireSuccess().stdout();
        assertTrue(table.contains("10.99.0.0/16 dev " + a.ifname), table);
        String rules = a.exec("ip", "-4", "rule").requireSuccess().stdout();
        assertTrue(rules.contains("32765:\tfrom all lookup " + TABLE)
                && rules.contains("32764:\tfrom all lookup main suppress_prefixlength 0"), rules);
        String rules6 = a.exec("ip", "-6", "rule").requireSuccess().stdout();
        assertTrue(rules6.contains("70:\tfrom all lookup 70") && rules6.contains("32765:\tfrom all lookup " + TABLE), rules6);
        ping(a, "10.99.3.1", "-c", "2");
        ping(a, "2001:db8:99::3", "-c", "2");
    }

    private static String recordKey(String record) {
        for (String f : record.trim().split(" ")) {
            if (f.startsWith("key=")) {
                return f.substring(4);
            }
        }
        return null;
    }

    /** E has no record: in require mode nothing is handed to bmx7 and nothing routes 10.88.0.0/16. */
    private void requireUsesKeyedGatewaysOnly(MeshLab lab) {
        Host a = lab.host("A");
        assertEquals(List.of("syncSms=cryptun"), a.bmx7.requests(), "require hands nothing to bmx7");
        String routes = a.exec("ip", "-4", "route", "show", "table", "all").requireSuccess().stdout();
        assertFalse(routes.contains("10.88."), routes);
        assertFalse(a.exec("ping", "-n", "-c", "1", "-W", "1", "10.88.0.1").succeeded());
    }

    /**
     * A search of bmx7's own that overlaps cryptun's would route through bmx7's plain tunnels
     * ahead of WireGuard: a WARN line in the log and a warning in {@code cryptun show}, both
     * naming the tunOut and how to remove it, gone once it is removed.
     */
    private void bmx7sOwnOverlappingSearchIsAWarning(MeshLab lab) throws Exception {
        Host a = lab.host("A");
        lab.mesh.operator(a.bmx7, "tunOut=own4 /network=10.99.0.0/16");
        String expected = "warning: bmx7's own tunOut=own4 /network=10.99.0.0/16 overlaps --tun-out v4any=10.0.0.0/8";
        // bmx7's configuration is not watched (the json plugin rewrites its directory every second): it is
        // read at every scan and every 10 s
        Duration periodic = Duration.ofSeconds(25);
        MeshLab.await("cryptun show on A lists the overlap", periodic, () -> show(a).contains(expected));
        assertTrue(show(a).contains("bmx7 -c tunOut=-own4"), show(a));
        String log = Files.readString(a.log);
        assertTrue(log.lines().anyMatch(l -> l.startsWith("WARN: ") && l.contains("bmx7's own tunOut=own4")), log);
        lab.mesh.operator(a.bmx7, "tunOut=-own4");
        MeshLab.await("the warning goes with the search", periodic, () -> !show(a).contains("warning:"));
    }

    private static String show(Host h) {
        return h.exec(CryptunEndpoint.java(), "-jar", CryptunEndpoint.jar().toString(), "show", h.ifname).stdout();
    }

    /**
     * tcpdump on B's link to A while A pings through C: only WireGuard datagrams between the nodes'
     * primary addresses (and neighbour discovery), never the marker the pings carry.
     */
    private void trafficIsEncryptedOnTheUnderlay(MeshLab lab) throws Exception {
        Host a = lab.host("A");
        Host b = lab.host("B");
        Path pcap = lab.workDir.resolve("underlay.pcap");
        Path log = lab.workDir.resolve("tcpdump.log");
        Process tcpdump = b.ns.spawn(List.of("tcpdump", "-i", "vB0", "-n", "--immediate-mode", "-U", "-Z", "root",
                "-s", "0", "-w", pcap.toString()), log);
        Capture.awaitListening(tcpdump, log);
        ping(a, "10.99.3.1", "-c", "4", "-p", MARKER.substring(0, 32));
        ping(a, "2001:db8:99::3", "-c", "4", "-p", MARKER.substring(0, 32));
        ping(a, "10.254.2.1", "-c", "2", "-p", MARKER.substring(0, 32));
        // tcpdump drops what it has not written yet when it is stopped: let it catch up first
        Thread.sleep(1000);
        ProcessHandle.of(tcpdump.pid()).ifPresent(ProcessHandle::destroy);
        assertTrue(tcpdump.waitFor(10, TimeUnit.SECONDS), "tcpdump stops");
        String stats = Files.readString(log);
        assertTrue(stats.lines().anyMatch(l -> l.equals("0 packets dropped by kernel")), stats);

        Set<String> nodeAddresses = new TreeSet<>();
        for (Host h : lab.hosts.values()) {
            nodeAddresses.add(h.bmx7.primaryAddress());
        }
        byte[] marker = HexFormat.of().parseHex(MARKER.substring(0, 16));
        List<Pcap.Frame> frames = Pcap.read(pcap);
        if (System.getProperty("ctms.keepPcap") != null) {
            Files.copy(pcap, Path.of(System.getProperty("ctms.keepPcap")), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        int transport = 0;
        java.util.Map<String, Integer> seen = new java.util.TreeMap<>();
        for (Pcap.Frame f : frames) {
            seen.merge(f.isUdp6() ? IpPrefix.hostString(f.src()) + ">" + IpPrefix.hostString(f.dst()) + " wg"
                    + Pcap.wireGuardType(f.udpPayload()) + " len " + f.udpPayload().length
                    : "ether " + Integer.toHexString(f.etherType()) + " icmp6 " + f.icmp6Type(), 1, Integer::sum);
        }
        for (Pcap.Frame f : frames) {
            assertFalse(Pcap.contains(f.raw(), marker), "the ping marker appears in clear on the underlay");
            assertEquals(0x86dd, f.etherType(), "only IPv6 on the underlay");
            if (f.icmp6Type() >= 0) {
                // neighbour discovery and multicast listener reports keep the link itself working
                assertTrue(Set.of(130, 131, 132, 133, 134, 135, 136, 143).contains(f.icmp6Type()),
                        "unexpected ICMPv6 type " + f.icmp6Type());
                continue;
            }
            assertTrue(f.isUdp6(), "only UDP besides neighbour discovery");
            String src = IpPrefix.hostString(f.src());
            String dst = IpPrefix.hostString(f.dst());
            assertTrue(nodeAddresses.contains(src) && nodeAddresses.contains(dst), "between nodes: " + src + " -> " + dst);
            assertEquals(MeshLab.PORT, f.udpSrcPort());
            assertEquals(MeshLab.PORT, f.udpDstPort());
            int type = Pcap.wireGuardType(f.udpPayload());
            assertTrue(type > 0, "a WireGuard message, not " + HexFormat.of().formatHex(f.udpPayload(), 0,
                    Math.min(16, f.udpPayload().length)));
            if (type == 4 && f.udpPayload().length > 32) {
                transport++;
            }
        }
        // 4 + 4 + 2 echo requests and as many replies cross this link, each inside a WireGuard datagram
        assertTrue(transport >= 20, "the pings crossed the captured link inside WireGuard: " + transport
                + " data messages; seen: " + seen);
    }

    /**
     * Someone removes C's offer from C's bmx7 behind cryptun's back: cryptun owns it and gives it
     * again, and A keeps (or gets back) its route to C.
     */
    private void anOfferRemovedFromBmx7IsGivenAgain(MeshLab lab) throws Exception {
        Host a = lab.host("A");
        Host c = lab.host("C");
        ping(a, "10.99.3.1", "-c", "1");
        assertFalse(a.exec("ping", "-n", "-c", "1", "-W", "1", "10.99.4.1").succeeded(), "D's address is not reached through C");
        int before = c.bmx7.requests().size();
        lab.mesh.operator(c.bmx7, "tunIn=-gw4");
        MeshLab.await("C's cryptun gives tunIn=gw4 to bmx7 again", CHANGE, () -> c.bmx7.parameters().has("tunIn", "gw4"));
        assertTrue(c.bmx7.requests().subList(before, c.bmx7.requests().size())
                .contains("tunIn=gw4 /network=10.99.0.0/16 /bandwidth=32000000"), c.bmx7.requests().toString());
        MeshLab.await("A routes 10.99.0.0/16 to C", CHANGE, () -> allowed(a, c).contains("10.99.0.0/16"));
        ping(a, "10.99.3.1", "-c", "2");
    }

    /**
     * C's bmx7 restarts and keeps its socket file (the inode cryptun used to watch is unchanged, as
     * on ext4): bmx7 forgets syncSms and tunIn, C's record leaves the mesh and A falls back to D;
     * C's cryptun sees in bmx7's configuration what is missing, gives it again, and A comes back
     * to C.
     */
    private void aBmx7RestartThatKeepsItsSocketIsFollowed(MeshLab lab) throws Exception {
        Host a = lab.host("A");
        Host c = lab.host("C");
        Host d = lab.host("D");
        Object inode = Files.readAttributes(c.bmx7.socketPath(), java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        lab.mesh.restartKeepingTheSocket(c.bmx7);
        MeshLab.await("A falls back to D while C's record is gone", CHANGE, () -> allowed(a, d).contains("10.99.0.0/16"));
        MeshLab.await("C's cryptun gives syncSms and tunIn to the restarted bmx7 again", CHANGE,
                () -> c.bmx7.parameters().has("syncSms", "cryptun") && c.bmx7.parameters().has("tunIn", "gw4")
                        && c.bmx7.parameters().has("tunIn", "gw6"));
        assertEquals(inode, Files.readAttributes(c.bmx7.socketPath(), java.nio.file.attribute.BasicFileAttributes.class)
                .fileKey(), "the same socket file throughout");
        MeshLab.await("A routes 10.99.0.0/16 to C again", CHANGE, () -> allowed(a, c).contains("10.99.0.0/16"));
        ping(a, "10.99.3.1", "-c", "2");
    }

    /** C restarts with a new key: it withdraws on SIGTERM, announces the new key, and A follows. */
    private void keyRotationIsFollowed(MeshLab lab, String oldKeyC) throws Exception {
        Host a = lab.host("A");
        Host c = lab.host("C");
        c.stop();
        assertTrue(c.bmx7.requests().containsAll(List.of("syncSms=-cryptun", "tunIn=-gw4", "tunIn=-gw6")),
                "C withdrew on stop: " + c.bmx7.requests());
        assertFalse(Files.exists(c.bmx7.sendSms("cryptun")));
        MeshLab.await("A drops C's old key", CHANGE, () -> !a.peers().containsKey(oldKeyC));
        MeshLab.await("A falls back to D for 10.99.0.0/16", CHANGE, () -> allowed(a, lab.host("D")).contains("10.99.0.0/16"));

        Files.delete(c.keyFile);
        c.start(C_ARGS);
        String newKeyC = c.publicKey();
        assertFalse(newKeyC.equals(oldKeyC));
        MeshLab.await("A peers with C's new key and routes 10.99.0.0/16 to it", CHANGE,
                () -> a.peers().containsKey(newKeyC) && allowed(a, c).contains("10.99.0.0/16"));
        assertFalse(a.peers().containsKey(oldKeyC));
        assertEquals(c.endpoint(), a.peers().get(newKeyC).endpoint());
        ping(a, "10.99.3.1", "-c", "2");
    }

    /** Prefer: what only E (no record) offers goes to bmx7 as narrowed searches; C's network stays encrypted. */
    private void preferHandsThePlainGatewayToBmx7(MeshLab lab) throws Exception {
        Host a = lab.host("A");
        Host c = lab.host("C");
        String e = lab.plainGateway.id.toString();
        a.stop();
        int before = a.bmx7.requests().size();
        a.start(withMode("prefer", A_ARGS));
        MeshLab.await("A hands E's 10.88.0.0/16 to bmx7", CHANGE, () -> a.bmx7.requests().stream()
                .anyMatch(r -> r.startsWith("tunOut=v4any.") && r.contains("/network=10.88.0.0/16") && r.contains("/gwId=" + e)));
        List<String> sent = a.bmx7.requests().subList(before, a.bmx7.requests().size());
        List<String> tunOuts = sent.stream().filter(r -> r.startsWith("tunOut=")).toList();
        assertTrue(tunOuts.stream().allMatch(r -> r.contains("/gwId=" + e)), "only E's routes: " + tunOuts);
        assertTrue(tunOuts.stream().noneMatch(r -> r.contains("10.99.")), tunOuts.toString());
        assertTrue(tunOuts.stream().allMatch(r -> r.contains("/tableRule=32765/" + TABLE)), tunOuts.toString());
        for (String t : tunOuts) {
            String name = t.substring("tunOut=".length(), t.indexOf(' '));
            assertTrue(a.bmx7.parameters().has("tunOut", name), "bmx7 holds the hand-off " + name);
        }
        MeshLab.await("A routes 10.99.0.0/16 to C through WireGuard", CHANGE, () -> allowed(a, c).contains("10.99.0.0/16"));
        String table = a.exec("ip", "-4", "route", "show", "table", TABLE).requireSuccess().stdout();
        assertFalse(table.contains("10.88."), "bmx7's plain tunnel, not cryptun, routes E's network: " + table);
        ping(a, "10.99.3.1", "-c", "2");

        a.stop();
        List<String> after = a.bmx7.requests();
        for (String t : tunOuts) {
            String name = t.substring("tunOut=".length(), t.indexOf(' '));
            assertTrue(after.contains("tunOut=-" + name), "withdrawn on stop: " + name);
        }
    }

    /** Off: no peers, no routes, no record; every search is bmx7's; the others stop peering with A. */
    private void offHandsEverythingToBmx7AndAnnouncesNoKey(MeshLab lab) throws Exception {
        Host a = lab.host("A");
        Host c = lab.host("C");
        String keyA = a.publicKey();
        int before = a.bmx7.requests().size();
        a.start(withMode("off", A_ARGS));
        MeshLab.await("A hands its searches to bmx7 unchanged", CHANGE, () -> a.bmx7.requests().containsAll(List.of(
                "tunOut=v4any /network=10.0.0.0/8 /tableRule=32765/" + TABLE,
                "tunOut=v6any /network=2001:db8::/32 /tableRule=32765/" + TABLE)));
        assertTrue(a.bmx7.parameters().has("tunOut", "v4any") && a.bmx7.parameters().has("tunOut", "v6any"),
                "bmx7 accepted both: " + a.bmx7.parameters().get("tunOut"));
        List<String> sent = a.bmx7.requests().subList(before, a.bmx7.requests().size());
        assertFalse(sent.contains("syncSms=cryptun"), "off announces no key: " + sent);
        assertFalse(Files.exists(a.bmx7.sendSms("cryptun")));
        assertEquals(Map.of(), a.peers(), "off: no WireGuard peers");
        String all = a.exec("ip", "-4", "route", "show", "table", "all").requireSuccess().stdout()
                + a.exec("ip", "-6", "route", "show", "table", "all").requireSuccess().stdout();
        assertFalse(all.contains("table " + TABLE), "off: no routes through cryptun: " + all);
        MeshLab.await("C stops peering with A", CHANGE, () -> !c.peers().containsKey(keyA));
        a.stop();
    }

    /** D vanishes from bmx7 (its daemon gone long enough): the others drop it. */
    private void aNodeThatIsGoneIsDropped(MeshLab lab) throws Exception {
        Host b = lab.host("B");
        Host d = lab.host("D");
        String keyD = d.publicKey();
        assertTrue(b.peers().containsKey(keyD));
        lab.mesh.takeAway(d.bmx7);
        MeshLab.await("B drops D", CHANGE, () -> !b.peers().containsKey(keyD));
    }

    private static List<String> allowed(Host on, Host of) {
        try {
            WgPeer p = on.peers().get(of.publicKey());
            return p == null ? List.of() : p.allowedIps();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void ping(Host from, String to, String... args) throws InterruptedException {
        MeshLab.requirePings(from.ns, from.name, to, CHANGE, args);
    }
}
