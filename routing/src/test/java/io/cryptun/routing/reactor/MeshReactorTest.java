package io.cryptun.routing.reactor;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.noise.crypto.Keys;
import io.cryptun.noise.device.EventLog;
import io.cryptun.routing.CryptMode;
import io.cryptun.routing.CryptunRecord;
import io.cryptun.routing.Fixtures;
import io.cryptun.routing.NodeId;
import io.cryptun.routing.RecordStatus;
import io.cryptun.routing.TunnelSearch;
import io.cryptun.routing.bmx7.Bmx7ControlClient;
import io.cryptun.routing.bmx7.Bmx7Description;
import io.cryptun.routing.bmx7.Bmx7JsonDirectory;
import io.cryptun.routing.bmx7.RcvdSmsDirectory;
import io.cryptun.routing.bmx7.ReceivedRecords;
import io.cryptun.routing.mesh.MeshPlan;
import io.cryptun.routing.mesh.MeshPlanner;
import io.cryptun.routing.mesh.MeshView;
import io.cryptun.routing.mesh.MeshViewBuilder;
import io.cryptun.routing.mesh.OfferedNetwork;
import io.cryptun.routing.mesh.PlannedPeer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reactor on node A's captured runtime directory (copied to a temporary folder and changed as
 * bmx7 changes it), with a recording bmx7 control socket and in-memory peer and route tables.
 * Time is a number the test passes.
 */
class MeshReactorTest {
    private static final NodeId A = NodeId.parse(Fixtures.A);
    private static final NodeId B = NodeId.parse(Fixtures.B);
    private static final NodeId C = NodeId.parse(Fixtures.C);
    private static final NodeId D = NodeId.parse(Fixtures.D);
    private static final OfferedNetwork OFFER = new OfferedNetwork("gwx", IpPrefix.parse("10.55.0.0/16"), 5_000_000);

    private RuntimeDir dir;
    private RecordingBmx7 bmx7;
    private final MemoryPeerTable peers = new MemoryPeerTable();
    private final MemoryRouteTable routes = new MemoryRouteTable();
    private final List<String> log = Collections.synchronizedList(new ArrayList<>());
    private final EventLog eventLog = (level, message) -> log.add(level + " " + message);

    @BeforeEach
    void setUp() throws IOException {
        dir = RuntimeDir.fromFixtures();
        bmx7 = new RecordingBmx7(dir.root);
    }

    @AfterEach
    void tearDown() throws Exception {
        bmx7.close();
        dir.close();
    }

    private static CryptunRecord recordOfA() throws Exception {
        return CryptunRecord.parse(Fixtures.bytes("sms/sendSms/cryptun"));
    }

    private List<TunnelSearch> searchesOfA() throws IOException {
        return new Bmx7JsonDirectory(dir.root.resolve("json")).read().parameters().tunnelSearches();
    }

    private MeshConfig config(CryptMode mode, List<OfferedNetwork> offers) throws Exception {
        return MeshConfig.of(dir.root, recordOfA(), mode, searchesOfA(), offers);
    }

    private MeshReactor reactor(MeshConfig c) {
        Bmx7ControlClient client = new Bmx7ControlClient(c.socketPath(), Duration.ofSeconds(5));
        return new MeshReactor(c, Bmx7Feed.json(c), peers, routes, client, eventLog);
    }

    /** The plan the reactor should reach from the directory as it is, computed the long way round. */
    private MeshPlan expectedPlan(MeshConfig c) throws IOException {
        Bmx7JsonDirectory.Snapshot s = new Bmx7JsonDirectory(dir.root.resolve("json")).read();
        Map<NodeId, byte[]> files = new RcvdSmsDirectory(dir.root.resolve("sms/rcvdSms"), "cryptun").read();
        Set<NodeId> without = s.descriptions().values().stream().filter(d -> !d.carriesSms("cryptun"))
                .map(Bmx7Description::nodeId).collect(Collectors.toSet());
        Map<NodeId, RecordStatus> records = new ReceivedRecords(0).update(0, files, without).statuses();
        MeshView v = new MeshViewBuilder(s.self()).descriptions(s.descriptions().values())
                .originators(s.originators().values()).records(records).build();
        return MeshPlanner.plan(c.settingsFor(A), v, MeshPlan.EMPTY);
    }

    private static Set<String> nodesOf(Map<String, PlannedPeer> m) {
        return m.values().stream().map(p -> p.node().shortId()).collect(Collectors.toCollection(java.util.TreeSet::new));
    }

    private long warnings(String containing) {
        synchronized (log) {
            return log.stream().filter(l -> l.startsWith("WARN ") && l.contains(containing)).count();
        }
    }

    @Test
    void firstScanPublishesTheRecordAnnouncesOffersAndInstallsThePlan() throws Exception {
        MeshConfig c = config(CryptMode.REQUIRE, List.of(OFFER));
        MeshReactor r = reactor(c);
        r.scan(0);

        assertArrayEquals(recordOfA().toBytes(), Files.readAllBytes(dir.sendSms()), "record written as formatted");
        try (var s = Files.list(dir.root.resolve("sms/sendSms"))) {
            assertEquals(List.of(dir.sendSms()), s.toList(), "no temporary file left behind");
        }
        assertEquals(List.of("syncSms=cryptun", "tunIn=gwx /network=10.55.0.0/16 /bandwidth=5000000"), bmx7.requests());

        DesiredState want = DesiredState.of(expectedPlan(c));
        assertEquals(Set.of(C.shortId(), D.shortId()), nodesOf(want.peers()), "C and D have records, B has none");
        assertEquals(want.peers(), peers.peers);
        assertEquals(want.routes(), routes.routes);
        assertFalse(routes.routes.isEmpty());
        assertEquals(Set.of(), routes.rules, "A's searches use the main table");
        PlannedPeer d = peers.peers.get("+/oQSoIyDLKSzjJS+zTwCDl527Hzs5NfyTuzmPHJvU0=");
        assertEquals(D.primaryAddress(), d.endpointAddress(), "endpoint: D's id-derived fd70 address");
        assertEquals(51820, d.endpointPort());
        assertEquals(r.plan(), expectedPlan(c));
        assertEquals(Bmx7Announcer.CONFIRM_AFTER_MILLIS, r.dueAtMillis(),
                "bmx7's configuration is read again once it had time to show what it was given");
        r.scan(Bmx7Announcer.CONFIRM_AFTER_MILLIS);
        assertEquals(Long.MAX_VALUE, r.dueAtMillis(), "all confirmed: nothing pending");
        assertEquals(2, bmx7.requests().size(), "nothing given twice");
    }

    @Test
    void bmx7RewritingUnchangedFilesTouchesNothing() throws Exception {
        MeshReactor r = reactor(config(CryptMode.REQUIRE, List.of(OFFER)));
        r.scan(0);
        List<String> peerCalls = List.copyOf(peers.calls);
        List<String> routeCalls = List.copyOf(routes.calls);
        List<String> requests = bmx7.requests();
        byte[] c = dir.smsBytes(C);
        String cDesc = dir.descriptionText(C);

        // every step of bmx7's delete-then-rewrite, with a scan caught in between each
        long t = 10;
        Files.delete(dir.description(C));
        r.scan(t += 10);
        dir.deleteSms(C);
        r.scan(t += 10);
        dir.createEmptySms(C);
        r.scan(t += 10);
        dir.writeSms(C, java.util.Arrays.copyOf(c, 40));
        r.scan(t += 10);
        assertTrue(r.dueAtMillis() <= t + MeshConfig.DEFAULT_GRACE_MILLIS, "a held record is looked at again soon");
        dir.writeSms(C, c);
        r.scan(t += 10);
        dir.writeDescription(C, cDesc.substring(0, 100));
        r.scan(t += 10);
        dir.writeDescription(C, cDesc);
        r.scan(t += 10);
        // and the same long after the grace period, as bmx7 does on every description change
        for (int i = 0; i < 3; i++) {
            dir.deleteSms(C);
            dir.createEmptySms(C);
            dir.writeSms(C, c);
            r.scan(t += 5000);
        }

        assertEquals(peerCalls, peers.calls, "no peer was touched");
        assertEquals(routeCalls, routes.calls, "no route was touched");
        assertEquals(requests, bmx7.requests(), "nothing asked of bmx7 again");
        assertEquals(0, warnings(C.toString()), "a half-written file is not malformed");
        assertEquals(Long.MAX_VALUE, r.dueAtMillis());
    }

    @Test
    void aStatusFileCaughtMidRewriteChangesNothing() throws Exception {
        MeshReactor r = reactor(config(CryptMode.REQUIRE, List.of()));
        r.scan(0);
        MeshPlan before = r.plan();
        List<String> peerCalls = List.copyOf(peers.calls);
        java.nio.file.Path status = dir.root.resolve("json/status");
        String text = Files.readString(status);
        Files.writeString(status, "");
        r.scan(100);
        Files.writeString(status, text.substring(0, 40));
        r.scan(200);
        Files.writeString(status, text);
        r.scan(300);
        assertEquals(DesiredState.of(before), DesiredState.of(r.plan()));
        assertEquals(peerCalls, peers.calls);
        assertEquals(0, log.stream().filter(l -> l.contains("waiting for bmx7")).count(), String.join("\n", log));
        assertEquals(1, log.stream().filter(l -> l.contains("bmx7 node id " + A)).count(), "said once");
    }

    @Test
    void withoutAnyStatusItWaitsAndSaysSoOnce() throws Exception {
        Files.delete(dir.root.resolve("json/status"));
        MeshReactor r = reactor(config(CryptMode.REQUIRE, List.of()));
        r.scan(0);
        r.scan(1000);
        assertEquals(1, log.stream().filter(l -> l.contains("waiting for bmx7 to say which node this is")).count());
        assertEquals(Map.of(), peers.peers);
        assertEquals(MeshReactor.RETRY_MILLIS + 1000, r.dueAtMillis());
        assertTrue(Files.exists(dir.sendSms()), "the record is published all the same");
    }

    @Test
    void aChangedKeyReplacesThePeerAndAChangedPortUpdatesIt() throws Exception {
        MeshReactor r = reactor(config(CryptMode.REQUIRE, List.of()));
        r.scan(0);
        String oldKey = "fINURjjn4Vk161A9HtSKZ1SS4df5eXVwzwPToG6uqXk=";
        PlannedPeer before = peers.peers.get(oldKey);
        String newKey = Keys.toBase64(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
            21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32});
        peers.calls.clear();

        dir.deleteSms(C);
        dir.writeSms(C, "v=1 key=" + newKey + " port=51820 tun4=10.254.3.1/32 tun6=2001:db8:3::1/128\n");
        r.scan(100);
        assertEquals(List.of("add " + C.shortId() + " " + newKey, "remove " + C.shortId() + " " + oldKey), peers.calls,
                "the new key is a new peer; the old one goes");
        assertEquals(before.allowedIps(), peers.peers.get(newKey).allowedIps());

        peers.calls.clear();
        dir.writeSms(C, "v=1 key=" + newKey + " port=51999 tun4=10.254.3.1/32 tun6=2001:db8:3::1/128\n");
        r.scan(200);
        assertEquals(List.of("update " + C.shortId() + " " + newKey), peers.calls, "a new port only moves the endpoint");
        assertEquals(51999, peers.peers.get(newKey).endpointPort());
    }

    @Test
    void meshSecretsAreAnnouncedFollowedInTheFileAndRefuseWhoHoldsNoneOfThem() throws Exception {
        java.nio.file.Path secretFile = dir.root.resolve("mesh.psk");
        byte[] oldBytes = new byte[32];
        java.util.Arrays.fill(oldBytes, (byte) 0x11);
        String oldSecret = java.util.Base64.getEncoder().encodeToString(oldBytes);
        byte[] newBytes = new byte[32];
        java.util.Arrays.fill(newBytes, (byte) 0x42);
        String newSecret = java.util.Base64.getEncoder().encodeToString(newBytes);
        Files.writeString(secretFile, oldSecret + "\n");
        io.cryptun.routing.psk.MeshSecretsFile file = new io.cryptun.routing.psk.MeshSecretsFile(secretFile);
        io.cryptun.routing.psk.MeshKeyring ring = io.cryptun.routing.psk.MeshKeyring.of(file.readIfChanged(w -> { }).orElseThrow());
        String oldId = ring.ids().get(0);
        MeshConfig c = config(CryptMode.REQUIRE, List.of());
        MeshReactor r = new MeshReactor(c, Bmx7Feed.json(c), peers, routes,
                new Bmx7ControlClient(c.socketPath(), Duration.ofSeconds(5)), eventLog, ring, file);
        assertTrue(r.watchedDirectories().contains(dir.root), "the secret file's directory is watched");
        String keyC = "fINURjjn4Vk161A9HtSKZ1SS4df5eXVwzwPToG6uqXk=";
        String keyD = "+/oQSoIyDLKSzjJS+zTwCDl527Hzs5NfyTuzmPHJvU0=";
        dir.deleteSms(C);
        dir.writeSms(C, "v=1 key=" + keyC + " port=51820 tun4=10.254.3.1/32 tun6=2001:db8:3::1/128 psk=" + oldId + "\n");
        r.scan(0);
        assertTrue(Files.readString(dir.sendSms()).endsWith(" psk=" + oldId + "\n"), "the ids are announced");
        assertEquals(List.of(oldId), peers.peers.get(keyC).pskGenerations());
        assertFalse(peers.peers.get(keyC).isRefused());
        PlannedPeer d = peers.peers.get(keyD);
        assertTrue(d.isRefused(), "D announces no secret: " + d);
        assertEquals(List.of(), d.allowedIps());
        assertEquals(Map.of(keyD, "refused: it holds no mesh secret (this node: " + oldId + ")"), r.refusals());
        assertEquals(1, log.stream().filter(l -> l.contains("refusing node " + D.shortId())).count(), log.toString());
        assertTrue(routes.routes.stream().noneMatch(t -> t.toString().contains(D.shortId())));

        // the next secret rolled in by editing the file: announced, and C's peer gets it as an alternative
        Files.writeString(secretFile, oldSecret + "\n" + newSecret + "\n");
        peers.calls.clear();
        r.scan(100);
        List<String> ids = ring.ids();
        assertEquals(2, ids.size());
        assertTrue(Files.readString(dir.sendSms()).endsWith(" psk=" + String.join(",", ids) + "\n"));
        assertEquals(ids, r.ownRecord().pskIds());
        assertEquals(ids, peers.peers.get(keyC).pskGenerations(), "C holds only the old one: first, then ours");
        assertEquals(Set.of("update " + C.shortId() + " " + keyC, "update " + D.shortId() + " " + keyD),
                Set.copyOf(peers.calls), "updated in place, not replaced");
        assertTrue(log.stream().anyMatch(l -> l.contains("mesh secret generations now " + String.join(",", ids))));

        // an unchanged file changes nothing; a broken edit keeps the secrets in force and says so once
        peers.calls.clear();
        r.scan(200);
        Files.writeString(secretFile, "oops\n");
        r.scan(300);
        r.scan(400);
        assertEquals(List.of(), peers.calls);
        assertEquals(ids, ring.ids());
        assertEquals(1, log.stream().filter(l -> l.contains("mesh.psk:1: not a mesh secret")).count(), log.toString());
        assertFalse(log.stream().anyMatch(l -> l.contains(oldSecret) || l.contains(newSecret)), "no secret in the log");
    }

    @Test
    void aNodeThatIsGoneIsDroppedOnceTheGracePeriodEndsAndItsRoutesFailOver() throws Exception {
        MeshConfig c = config(CryptMode.REQUIRE, List.of());
        MeshReactor r = reactor(c);
        r.scan(0);
        IpPrefix shared = IpPrefix.parse("10.99.0.0/16");
        NodeId first = r.plan().peerAllowing(shared).orElseThrow().node();
        NodeId other = first.equals(C) ? D : C;

        dir.removeNode(first);
        r.scan(1000);
        assertTrue(r.plan().peer(first).isPresent(), "within the grace period the node is kept");
        long due = r.dueAtMillis();
        assertTrue(due > 1000 && due <= 1000 + c.graceMillis(), "a scan is due before the grace ends: " + due);
        r.scan(1000 + c.graceMillis());
        assertFalse(r.plan().peer(first).isPresent(), "gone after the grace period");
        assertFalse(peers.peers.values().stream().anyMatch(p -> p.node().equals(first)));
        assertEquals(other, r.plan().peerAllowing(shared).orElseThrow().node(), "the shared network fails over");
        assertTrue(peers.peers.values().stream().anyMatch(p -> p.node().equals(other) && p.allowedIps().contains(shared)));
        assertEquals(DesiredState.of(expectedPlan(c)).peers(), peers.peers);
        assertTrue(routes.routes.contains(new TunnelRoute(shared, 254, 1024)), "the route itself stays");
    }

    @Test
    void malformedAndOversizedRecordsAreIgnoredWithOneWarningEach() throws Exception {
        MeshReactor r = reactor(config(CryptMode.REQUIRE, List.of()));
        r.scan(0);
        dir.writeSms(C, "v=1 key=notakey port=51820\n");
        dir.writeSms(D, "v=1 " + "x".repeat(2000) + "\n");
        for (int i = 1; i <= 5; i++) {
            r.scan(i * 1000L);
        }
        assertEquals(Set.of(), nodesOf(peers.peers), "neither record is used");
        assertEquals(1, warnings(C.toString()), String.join("\n", log));
        assertEquals(1, warnings(D.toString()), String.join("\n", log));

        dir.writeSms(C, "v=1 key=notakey port=51821\n");
        r.scan(10_000);
        assertEquals(2, warnings(C.toString()), "different bad content warns again");
    }

    @Test
    void nodesAnnouncingTheSameKeyAreBothRefused() throws Exception {
        MeshReactor r = reactor(config(CryptMode.REQUIRE, List.of()));
        r.scan(0);
        dir.writeSms(D, "v=1 key=fINURjjn4Vk161A9HtSKZ1SS4df5eXVwzwPToG6uqXk= port=51820 tun4=10.254.4.1/32\n");
        r.scan(100);
        r.scan(200);
        assertEquals(Set.of(), nodesOf(peers.peers));
        assertEquals(1, warnings("refusing node " + C.shortId()), String.join("\n", log));
        assertEquals(1, warnings("refusing node " + D.shortId()), String.join("\n", log));
    }

    @Test
    void theAllowListLimitsWhoMayPeer() throws Exception {
        MeshReactor r = reactor(config(CryptMode.REQUIRE, List.of()).withAllowList(Set.of(D)));
        r.scan(0);
        assertEquals(Set.of(D.shortId()), nodesOf(peers.peers));
    }

    @Test
    void preferHandsWhatNoKeyedGatewayOffersToBmx7() throws Exception {
        MeshConfig c = config(CryptMode.PREFER, List.of());
        MeshReactor r = reactor(c);
        r.scan(0);
        MeshPlan plan = expectedPlan(c);
        assertFalse(plan.bmx7Searches().isEmpty());
        List<String> tunOuts = bmx7.requests().stream().filter(q -> q.startsWith("tunOut=")).toList();
        assertEquals(plan.bmx7Searches().stream().map(TunnelSearch::toBmx7Option).toList(), tunOuts);
        assertTrue(tunOuts.stream().allMatch(q -> q.contains("/gwId=" + B)), "only B, which has no record: " + tunOuts);
        assertEquals(DesiredState.of(plan).peers(), peers.peers, "C and D are still peers");

        // C withdraws its record (syncSms=-cryptun): what only C offered goes to bmx7 at once
        bmx7.clear();
        dir.deleteSms(C);
        dir.writeDescription(C, dir.descriptionText(C).replace(", { \"DSC_SMS\": [ { \"name\": \"cryptun\" } ] }", ""));
        r.scan(100);
        assertFalse(r.plan().peer(C).isPresent());
        List<String> handed = bmx7.requests();
        assertTrue(handed.stream().anyMatch(q -> q.startsWith("tunOut=v6any.") && q.contains("/network=2001:db8:99::/48")
                && q.contains("/gwId=" + C)), handed.toString());
        assertEquals(r.plan().bmx7Searches().stream().map(TunnelSearch::name).collect(Collectors.toSet()),
                r.installedHandoffs().keySet());

        // and back: C publishes again, the hand-off is withdrawn
        bmx7.clear();
        dir.writeDescription(C, Files.readString(Fixtures.path("json/descriptions/" + C)));
        dir.writeSms(C, Fixtures.bytes("sms/rcvdSms/" + C + ":cryptun"));
        r.scan(200);
        assertTrue(r.plan().peer(C).isPresent());
        assertTrue(bmx7.requests().stream().anyMatch(q -> q.startsWith("tunOut=-v6any.")), bmx7.requests().toString());
    }

    @Test
    void offModeHandsEverySearchToBmx7AndAnnouncesNoKey() throws Exception {
        Files.write(dir.sendSms(), recordOfA().toBytes());
        MeshConfig c = config(CryptMode.OFF, List.of(OFFER));
        MeshReactor r = reactor(c);
        r.scan(0);
        assertFalse(Files.exists(dir.sendSms()), "a record left by an earlier run is removed");
        List<String> want = new ArrayList<>(List.of("syncSms=-cryptun", "tunIn=gwx /network=10.55.0.0/16 /bandwidth=5000000"));
        searchesOfA().stream().sorted(java.util.Comparator.comparing(TunnelSearch::name))
                .forEach(s -> want.add(s.toBmx7Option()));
        assertEquals(want, bmx7.requests());
        assertTrue(bmx7.requests().contains("tunOut=v4dflt /network=0.0.0.0/0 /maxPrefixLen=0"), "searches unchanged");
        assertEquals(Map.of(), peers.peers);
        assertEquals(Set.of(), routes.routes);
        r.scan(100);
        assertEquals(want, bmx7.requests(), "said once");
    }

    @Test
    void dedicatedTablesGetTheirRuleWhileTheyHoldRoutes() throws Exception {
        List<TunnelSearch> searches = List.of(TunnelSearch.builder("gw", IpPrefix.parse("10.99.0.0/16"))
                .tableRule(32765, 117).ipMetric(10).build());
        MeshConfig c = MeshConfig.of(dir.root, recordOfA(), CryptMode.REQUIRE, searches, List.of());
        MeshReactor r = reactor(c);
        r.scan(0);
        assertTrue(routes.routes.contains(new TunnelRoute(IpPrefix.parse("10.99.0.0/16"), 117, 10)), routes.routes.toString());
        assertEquals(Set.of(new TableRule(32765, 117, true)), routes.rules);

        for (NodeId gw : List.of(C, D)) {
            dir.deleteSms(gw);
            dir.writeDescription(gw, dir.descriptionText(gw).replace(", { \"DSC_SMS\": [ { \"name\": \"cryptun\" } ] }", ""));
        }
        r.scan(100);
        assertFalse(routes.routes.stream().anyMatch(t -> t.table() == 117));
        assertEquals(Set.of(), routes.rules, "the rule goes with the table's last route");
        int add = routes.calls.indexOf("add IPv4 rule pref 32765 lookup 117");
        int route = routes.calls.indexOf("add 10.99.0.0/16 table 117 metric 10");
        assertTrue(add >= 0 && add < route, "rule before route: " + routes.calls);
    }

    @Test
    void aBmx7RestartIsFollowedByAnnouncingAgain() throws Exception {
        MeshReactor r = reactor(config(CryptMode.REQUIRE, List.of(OFFER)));
        r.scan(0);
        int routeAdds = (int) routes.calls.stream().filter(x -> x.startsWith("add ")).count();
        r.scan(100);
        assertEquals(2, bmx7.requests().size());

        bmx7.close();
        r.scan(200);
        bmx7 = new RecordingBmx7(dir.root);
        r.scan(300);
        assertEquals(List.of("syncSms=cryptun", "tunIn=gwx /network=10.55.0.0/16 /bandwidth=5000000"), bmx7.requests());
        assertEquals(2L * routeAdds, routes.calls.stream().filter(x -> x.startsWith("add ")).count(),
                "routes are put back in case bmx7 flushed a shared table");
        assertTrue(log.stream().anyMatch(l -> l.contains("bmx7 restarted")), String.join("\n", log));
    }

    /**
     * bmx7 unlinks and binds its socket at once when it starts; on ext4 the new socket often gets
     * the old inode, so the socket file looks unchanged. bmx7's configuration no longer lists
     * what cryptun gave it: that is seen, and everything is given again.
     */
    @Test
    void aBmx7RestartThatKeepsTheSocketsInodeIsSeenInItsConfiguration() throws Exception {
        MeshReactor r = reactor(config(CryptMode.REQUIRE, List.of(OFFER)));
        r.scan(0);
        int routeAdds = (int) routes.calls.stream().filter(x -> x.startsWith("add ")).count();
        assertTrue(bmx7.parameters().has("syncSms", "cryptun") && bmx7.parameters().has("tunIn", "gwx"));
        bmx7.clear();
        bmx7.restartKeepingTheSocket();
        r.scan(1000);
        assertEquals(List.of(), bmx7.requests(), "within the confirmation time a missing setting is not taken for lost");
        r.scan(Bmx7Announcer.CONFIRM_AFTER_MILLIS + 1000);
        assertEquals(List.of("syncSms=cryptun", "tunIn=gwx /network=10.55.0.0/16 /bandwidth=5000000"), bmx7.requests());
        assertTrue(bmx7.parameters().has("syncSms", "cryptun") && bmx7.parameters().has("tunIn", "gwx"));
        assertEquals(2L * routeAdds, routes.calls.stream().filter(x -> x.startsWith("add ")).count(),
                "routes are put back in case bmx7 flushed a shared table");
        r.scan(2 * Bmx7Announcer.CONFIRM_AFTER_MILLIS + 2000);
        assertEquals(2, bmx7.requests().size(), "held again: nothing more is sent");
    }

    /**
     * A restarted bmx7 empties its json and sms trees and relearns the mesh in some seconds: the
     * peers (and their sessions) stay meanwhile, and go only if the nodes do not come back.
     */
    @Test
    void peersStayWhileARestartedBmx7RelearnsTheMesh() throws Exception {
        MeshReactor r = reactor(config(CryptMode.REQUIRE, List.of()));
        r.scan(0);
        Map<String, PlannedPeer> before = Map.copyOf(peers.peers);
        assertEquals(Set.of(C.shortId(), D.shortId()), nodesOf(before));
        bmx7.restartKeepingTheSocket();
        dir.removeNode(C);
        dir.removeNode(D);
        long seen = Bmx7Announcer.CONFIRM_AFTER_MILLIS + 100;
        r.scan(seen);
        assertTrue(log.stream().anyMatch(l -> l.contains("keeping the mesh as it was while bmx7 relearns it")),
                String.join("\n", log));
        assertEquals(before, peers.peers, "held while bmx7 relearns");
        r.scan(seen + MeshReactor.RESTART_HOLD_MILLIS - 1000);
        assertEquals(before, peers.peers, "still held");
        r.scan(seen + MeshReactor.RESTART_HOLD_MILLIS + 100);
        r.scan(seen + MeshReactor.RESTART_HOLD_MILLIS + MeshConfig.DEFAULT_GRACE_MILLIS + 200);
        assertEquals(Map.of(), peers.peers, "the nodes did not come back: their peers go");
    }

    @Test
    void peersOfNodesThatComeBackAfterARestartAreNotTouched() throws Exception {
        MeshReactor r = reactor(config(CryptMode.REQUIRE, List.of()));
        r.scan(0);
        int adds = peers.calls.size();
        String descC = dir.descriptionText(C);
        byte[] smsC = dir.smsBytes(C);
        bmx7.restartKeepingTheSocket();
        dir.removeNode(C);
        r.scan(Bmx7Announcer.CONFIRM_AFTER_MILLIS + 100);
        dir.writeDescription(C, descC);
        dir.writeSms(C, smsC);
        r.scan(Bmx7Announcer.CONFIRM_AFTER_MILLIS + 10_000);
        assertEquals(adds, peers.calls.size(), "no peer removed or added: " + peers.calls);
    }

    @Test
    void handOffsBmx7LostAreHandedAgain() throws Exception {
        MeshReactor r = reactor(config(CryptMode.PREFER, List.of()));
        r.scan(0);
        Set<String> handed = r.installedHandoffs().keySet();
        assertFalse(handed.isEmpty());
        handed.forEach(n -> assertTrue(bmx7.parameters().has("tunOut", n), "bmx7 accepted " + n));
        bmx7.restartKeepingTheSocket();
        bmx7.clear();
        r.scan(Bmx7Announcer.CONFIRM_AFTER_MILLIS);
        assertEquals(handed, r.installedHandoffs().keySet());
        handed.forEach(n -> assertTrue(bmx7.parameters().has("tunOut", n), "given again: " + n));
        assertTrue(bmx7.requests().contains("syncSms=cryptun"), bmx7.requests().toString());
    }

    @Test
    void bmx7sOwnOverlappingSearchesAreWarnedAboutOnceAndListed() throws Exception {
        // node A's captured bmx7 configuration has tunOut v4any, v6any and v4dflt of its own
        MeshReactor r = reactor(config(CryptMode.REQUIRE, List.of()));
        r.scan(0);
        r.scan(100);
        long shadowWarnings;
        synchronized (log) {
            shadowWarnings = log.stream().filter(l -> l.startsWith("WARN bmx7's own tunOut=")).count();
        }
        assertEquals(r.warnings().size(), shadowWarnings, String.join("\n", log));
        assertTrue(r.warnings().stream().anyMatch(w -> w.contains("tunOut=v4any /network=10.0.0.0/8")
                && w.contains("bmx7 -c tunOut=-v4any")), r.warnings().toString());
        // removed from bmx7: the warning goes
        for (String n : List.of("v4any", "v6any", "v4dflt")) {
            new Bmx7ControlClient(dir.root.resolve("sock"), Duration.ofSeconds(5)).removeTunOut(n);
        }
        r.scan(200);
        assertEquals(List.of(), r.warnings());
        // off mode: every search is bmx7's anyway
        bmx7.restartKeepingTheSocket();
        MeshReactor off = reactor(config(CryptMode.OFF, List.of()));
        off.scan(300);
        assertEquals(List.of(), off.warnings());
    }

    @Test
    void aFailedStepIsLoggedOnceAndRetried() throws Exception {
        MeshReactor r = reactor(config(CryptMode.REQUIRE, List.of()));
        peers.failNext = new IllegalStateException("too many peers (limit 1)");
        r.scan(0);
        assertEquals(1, peers.peers.size());
        assertEquals(1, log.stream().filter(l -> l.startsWith("ERROR") && l.contains("too many peers")).count());
        assertEquals(MeshReactor.RETRY_MILLIS, r.dueAtMillis());
        r.scan(MeshReactor.RETRY_MILLIS);
        assertEquals(2, peers.peers.size(), "retried");
        assertEquals(Long.MAX_VALUE, r.dueAtMillis());
    }

    @Test
    void bmx7NotRunningYetIsWaitedFor() throws Exception {
        bmx7.close();
        MeshReactor r = reactor(config(CryptMode.REQUIRE, List.of(OFFER)));
        r.scan(0);
        r.scan(1000);
        assertEquals(1, log.stream().filter(l -> l.contains("syncSms") || l.contains("publish sms")).count(),
                String.join("\n", log));
        assertEquals(2, nodesOf(peers.peers).size(), "the files are read all the same");
        bmx7 = new RecordingBmx7(dir.root);
        r.scan(2000);
        assertEquals(List.of("syncSms=cryptun", "tunIn=gwx /network=10.55.0.0/16 /bandwidth=5000000"), bmx7.requests());
    }

    @Test
    void closeWithdrawsEverythingItPutInPlace() throws Exception {
        MeshReactor r = reactor(config(CryptMode.PREFER, List.of(OFFER)));
        r.scan(0);
        Set<String> handed = r.installedHandoffs().keySet();
        assertFalse(handed.isEmpty());
        bmx7.clear();
        r.close();
        assertFalse(Files.exists(dir.sendSms()));
        List<String> want = new ArrayList<>(List.of("syncSms=-cryptun", "tunIn=-gwx"));
        handed.forEach(n -> want.add("tunOut=-" + n));
        assertEquals(want, bmx7.requests());
        assertEquals(Map.of(), peers.peers);
        assertEquals(Set.of(), routes.routes);
        r.scan(100);
        assertEquals(want, bmx7.requests(), "a closed reactor does nothing");
    }

    @Test
    void theControlSocketFeedGivesTheSameState() throws Exception {
        MeshConfig c = config(CryptMode.REQUIRE, List.of());
        reactor(c).scan(0);
        Map<String, PlannedPeer> viaJson = Map.copyOf(peers.peers);
        Set<TunnelRoute> routesViaJson = Set.copyOf(routes.routes);

        MemoryPeerTable peers2 = new MemoryPeerTable();
        MemoryRouteTable routes2 = new MemoryRouteTable();
        bmx7.answer("show=status /r=0", Fixtures.bytes("socket/A.show_status_r0.reply"));
        bmx7.answer("descriptions /r=0", Fixtures.bytes("socket/A.descriptions_r0.reply"));
        bmx7.answer("show=originators /r=0", Fixtures.bytes("socket/A.show_originators_r0.reply"));
        Bmx7ControlClient client = new Bmx7ControlClient(c.socketPath(), Duration.ofSeconds(5));
        Files.delete(dir.root.resolve("json/status"));
        MeshReactor viaSocket = new MeshReactor(c, Bmx7Feed.auto(c, client), peers2, routes2, client, eventLog);
        viaSocket.scan(0);
        assertEquals(viaJson, peers2.peers);
        assertEquals(routesViaJson, routes2.routes);
    }

    @Test
    void recordsAreNotPublishedAgainWhenUnchanged() throws Exception {
        MeshReactor r = reactor(config(CryptMode.REQUIRE, List.of()));
        r.scan(0);
        long mtime = Files.getLastModifiedTime(dir.sendSms()).toMillis();
        Files.setLastModifiedTime(dir.sendSms(), java.nio.file.attribute.FileTime.fromMillis(mtime - 10_000));
        r.scan(100);
        assertEquals(mtime - 10_000, Files.getLastModifiedTime(dir.sendSms()).toMillis(), "not rewritten");
        Files.writeString(dir.sendSms(), "stale\n", StandardCharsets.US_ASCII);
        r.scan(200);
        assertArrayEquals(recordOfA().toBytes(), Files.readAllBytes(dir.sendSms()), "put right");
        assertNotEquals(0, mtime);
    }
}
