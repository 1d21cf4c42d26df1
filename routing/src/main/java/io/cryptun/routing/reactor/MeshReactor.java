package io.cryptun.routing.reactor;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.noise.crypto.Keys;
import io.cryptun.noise.device.EventLog;
import io.cryptun.routing.CryptunRecord;
import io.cryptun.routing.NodeId;
import io.cryptun.routing.RecordStatus;
import io.cryptun.routing.TunnelSearch;
import io.cryptun.routing.bmx7.Bmx7ControlClient;
import io.cryptun.routing.bmx7.Bmx7Description;
import io.cryptun.routing.bmx7.GraceCache;
import io.cryptun.routing.bmx7.Originator;
import io.cryptun.routing.bmx7.ReceivedRecords;
import io.cryptun.routing.mesh.LocalSettings;
import io.cryptun.routing.mesh.MeshNode;
import io.cryptun.routing.mesh.MeshPlan;
import io.cryptun.routing.mesh.MeshPlanner;
import io.cryptun.routing.mesh.MeshView;
import io.cryptun.routing.mesh.MeshViewBuilder;
import io.cryptun.routing.mesh.PlanIssue;
import io.cryptun.routing.mesh.PlannedPeer;
import io.cryptun.routing.psk.MeshKeyring;
import io.cryptun.routing.psk.MeshSecrets;
import io.cryptun.routing.psk.MeshSecretsFile;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Keeps this node's WireGuard peers, routes and bmx7 settings in line with what bmx7 knows.
 * Each {@link #scan} publishes this node's record (sendSms + syncSms) and offers (tunIn) where
 * bmx7 does not have them yet, reads bmx7's view, plans with {@link MeshPlanner}, and applies the
 * difference between that plan and what is installed: an unchanged record or route is never
 * touched, so sessions survive bmx7's constant rewriting.
 *
 * <p>Sans-IO in its timing: the caller passes a monotonic clock and decides when to scan
 * ({@link ReactorLoop} does so on file changes and periodically); {@link #dueAtMillis} says when
 * a scan is needed even without a change (a grace period running out, a failed step to retry).
 * Every step that fails is logged once and retried at the next scan; the rest goes on.
 *
 * <p>Mesh secrets: with a {@link MeshSecretsFile}, each scan also looks whether the file changed;
 * new secrets go into the {@link MeshKeyring} the peer table derives pre-shared keys from, their
 * ids into this node's record, and the plan follows (peers whose generations changed are updated;
 * nodes that share none are refused). A file that cannot be read or parsed leaves the last good
 * secrets in force.
 */
public final class MeshReactor implements AutoCloseable {
    /** While something waits for a grace period or a retry, scan this often at least. */
    static final long RETRY_MILLIS = 1000;
    /**
     * After a bmx7 restart, how long what bmx7 forgot (it empties its json and sms trees when it
     * starts, and relearns the mesh in some seconds) is taken for unchanged: peers and sessions
     * stay, instead of going and coming back.
     */
    static final long RESTART_HOLD_MILLIS = 30_000;
    /** How long after a change of the view a node with a record but no known path makes the reactor read every second. */
    static final long PATH_WAIT_MILLIS = 60_000;

    private final MeshConfig config;
    private final Bmx7Feed feed;
    private final PeerTable peerTable;
    private final RouteTable routeTable;
    private final Bmx7ControlClient control;
    private final EventLog log;
    private final RepeatFilter once;
    private final Bmx7Announcer announcer;
    private final GraceCache<NodeId, Bmx7Description> descriptionCache;
    private final GraceCache<NodeId, Originator> originatorCache;
    private final ReceivedRecords records;
    private final MeshKeyring keyring;
    private final MeshSecretsFile secretsFile;
    private CryptunRecord ownRecord;
    private volatile Map<String, String> refusals = Map.of();
    private NodeId expectedSelf;

    private MeshPlan plan = MeshPlan.EMPTY;
    private MeshView view;
    private NodeId lastSelf;
    private final Map<String, PlannedPeer> peers = new TreeMap<>();
    private final Set<TunnelRoute> routes = new TreeSet<>();
    private final Set<TableRule> rules = new TreeSet<>();
    private boolean ownRecordSeen;
    private boolean reinstallRoutes;
    /** Apply the plan even if the view did not change: a step failed, or bmx7 lost what it was given. */
    private boolean applyWanted = true;
    private LocalSettings planned;
    /** A node with a record whose path bmx7 does not know yet (it learns it from OGMs, after the description). */
    private boolean awaitingPaths;
    private long viewChangedAt;
    private volatile List<String> warnings = List.of();
    private long dueAt = Long.MAX_VALUE;
    private boolean retryWanted;
    private boolean closed;

    public MeshReactor(MeshConfig config, Bmx7Feed feed, PeerTable peerTable, RouteTable routeTable,
                       Bmx7ControlClient control, EventLog log) {
        this(config, feed, peerTable, routeTable, control, log, MeshKeyring.empty(), null);
    }

    /**
     * @param keyring     the mesh secrets held now (shared with the peer table); its ids are announced
     * @param secretsFile the file to follow for new secrets, or null when they never change
     */
    public MeshReactor(MeshConfig config, Bmx7Feed feed, PeerTable peerTable, RouteTable routeTable,
                       Bmx7ControlClient control, EventLog log, MeshKeyring keyring, MeshSecretsFile secretsFile) {
        this.keyring = Objects.requireNonNull(keyring, "keyring");
        this.secretsFile = secretsFile;
        this.ownRecord = config.ownRecord().withPskIds(keyring.ids());
        this.config = Objects.requireNonNull(config, "config");
        this.feed = Objects.requireNonNull(feed, "feed");
        this.peerTable = Objects.requireNonNull(peerTable, "peerTable");
        this.routeTable = Objects.requireNonNull(routeTable, "routeTable");
        this.control = Objects.requireNonNull(control, "control");
        this.log = Objects.requireNonNull(log, "log");
        this.once = new RepeatFilter(log);
        this.announcer = new Bmx7Announcer(config, control, log, once);
        this.descriptionCache = new GraceCache<>(config.graceMillis());
        this.originatorCache = new GraceCache<>(config.graceMillis());
        this.records = new ReceivedRecords(config.graceMillis());
    }

    public MeshConfig config() {
        return config;
    }

    /** This node's record as published now (its psk ids follow the secret file). */
    public synchronized CryptunRecord ownRecord() {
        return ownRecord;
    }

    /**
     * Why installed peers are refused, by base64 public key (nodes whose mesh secrets do not
     * match); empty when none is. Safe to call from any thread.
     */
    public Map<String, String> refusals() {
        return refusals;
    }

    /**
     * Directories whose changes should trigger a scan: where bmx7 writes what changes the plan
     * (descriptions, received records, its socket: a restart re-creates it), and the secret
     * file's. Not {@code json/} itself nor {@code json/originators}: the json plugin rewrites
     * status and every originator every second (jsonUpdateInterval=1000), so watching them would
     * wake this node every second for path metrics that change slowly; those are read at every
     * scan and at least every {@link Bmx7Feed#pollMillis}.
     */
    public List<Path> watchedDirectories() {
        Path json = config.jsonDir();
        List<Path> dirs = new ArrayList<>(List.of(config.runtimeDir(), json.resolve("descriptions"),
                config.runtimeDir().resolve("sms"), config.receivedSmsDir()));
        if (secretsFile != null) {
            Path parent = secretsFile.path().toAbsolutePath().getParent();
            if (parent != null && !dirs.contains(parent)) {
                dirs.add(parent);
            }
        }
        return List.copyOf(dirs);
    }

    /**
     * The bmx7 node id this node's WireGuard key was derived from ({@code --key-from-bmx7}): if
     * bmx7 says it runs as another node, a warning says the key does not follow this identity.
     */
    public synchronized void expectSelf(NodeId id) {
        expectedSelf = id;
    }

    /** Reads the secret file again even if it looks unchanged (SIGHUP), then scans. */
    public synchronized void reloadSecrets(long nowMillis) {
        if (secretsFile != null) {
            secretsFile.forget();
        }
        scan(nowMillis);
    }

    /** The plan in force (the last one computed), {@link MeshPlan#EMPTY} before the first. */
    public synchronized MeshPlan plan() {
        return plan;
    }

    /** The last view of the mesh, or null before bmx7 answered. */
    public synchronized MeshView view() {
        return view;
    }

    /** The peers installed now, by base64 public key. */
    public synchronized Map<String, PlannedPeer> installedPeers() {
        return Collections.unmodifiableMap(new TreeMap<>(peers));
    }

    /** The searches handed to bmx7 now, by name. */
    public synchronized Map<String, TunnelSearch> installedHandoffs() {
        return announcer.handoffs();
    }

    /**
     * Standing warnings about this node's setup (bmx7 searches of its own that overlap cryptun's),
     * for {@code cryptun show}. Safe to call from any thread.
     */
    public List<String> warnings() {
        return warnings;
    }

    /** How often to read bmx7 without a change notification. */
    public long pollMillis() {
        return feed.pollMillis();
    }

    /** When (same clock as {@link #scan}) a scan is due even without a change; {@link Long#MAX_VALUE} if none. */
    public synchronized long dueAtMillis() {
        return dueAt;
    }

    /** Reads bmx7's view now and brings everything in line with it. */
    public synchronized void scan(long nowMillis) {
        if (closed) {
            return;
        }
        retryWanted = false;
        followSecretFile();
        reinstallRoutes |= announcer.followSocket();
        Bmx7Reading reading = read();
        if (reading != null) {
            // a restart that kept the socket's inode shows here: bmx7 no longer lists what it was given
            boolean lost = announcer.confirm(reading.parameters(), nowMillis);
            reinstallRoutes |= lost;
            applyWanted |= lost;
        }
        if (announcer.takeRestartSeen()) {
            // bmx7 emptied its json and sms trees and relearns the mesh: keep peers and sessions meanwhile
            log.log(EventLog.Level.INFO, "keeping the mesh as it was while bmx7 relearns it (at most "
                    + RESTART_HOLD_MILLIS / 1000 + " s)");
            long until = nowMillis + RESTART_HOLD_MILLIS;
            descriptionCache.holdMissing(until);
            originatorCache.holdMissing(until);
            records.holdMissing(until);
        }
        announcer.publishRecord(ownRecord.toBytes(), ownRecord.format().trim(), nowMillis);
        announcer.announceOffers(nowMillis);
        boolean pending = reading != null && planAndApply(reading, nowMillis);
        if (reading != null) {
            followShadows(reading);
        }
        retryWanted |= announcer.takeRetryWanted();
        long retry = pending ? Math.max(20, Math.min(config.graceMillis() / 4, RETRY_MILLIS))
                : retryWanted || awaitingPaths ? RETRY_MILLIS : -1;
        dueAt = Math.min(retry < 0 ? Long.MAX_VALUE : nowMillis + retry, announcer.confirmAtMillis());
    }

    // ------------------------------------------------------------------ mesh secrets

    private void followSecretFile() {
        if (secretsFile == null) {
            return;
        }
        Optional<MeshSecrets> read;
        try {
            read = secretsFile.readIfChanged(w -> once.log("secrets-perm", EventLog.Level.INFO, w));
            once.clear("secrets");
        } catch (IOException e) {
            once.log("secrets", EventLog.Level.ERROR, e.getMessage() + "; keeping mesh secret generations "
                    + String.join(",", keyring.ids()));
            return;
        }
        if (read.isEmpty()) {
            return;
        }
        List<String> before = keyring.ids();
        keyring.replace(read.get());
        List<String> after = keyring.ids();
        if (!after.equals(before)) {
            ownRecord = ownRecord.withPskIds(after);
            log.log(EventLog.Level.INFO, "mesh secret generations now " + String.join(",", after) + " (were "
                    + (before.isEmpty() ? "none" : String.join(",", before)) + ")");
        }
    }

    // ------------------------------------------------------------------ reading and planning

    /** One reading of bmx7, or null (logged once, retried) when it failed. */
    private Bmx7Reading read() {
        try {
            Bmx7Reading reading = feed.read();
            once.clear("read");
            return reading;
        } catch (IOException e) {
            once.log("read", EventLog.Level.ERROR, "cannot read bmx7's view through its " + feed.name() + ": "
                    + e.getMessage());
            retryWanted = true;
            return null;
        }
    }

    /** @return true when something is held over a grace period and must be looked at again soon */
    private boolean planAndApply(Bmx7Reading reading, long now) {
        // json/status is rewritten in place too: caught mid-write, this node is still who it was
        NodeId self = reading.self() != null ? reading.self() : reading.authoritative() ? null : lastSelf;
        if (self == null) {
            once.log("self", EventLog.Level.INFO, "waiting for bmx7 to say which node this is ("
                    + String.join("; ", reading.problems().stream().filter(p -> p.contains("status")).toList()) + ")");
            retryWanted = true;
            return false;
        }
        once.clear("self");
        if (!self.equals(lastSelf)) {
            log.log(EventLog.Level.INFO, "bmx7 node id " + self + ", primary address "
                    + IpPrefix.hostString(self.primaryAddress().getAddress()));
            lastSelf = self;
            if (expectedSelf != null && !expectedSelf.equals(self)) {
                log.log(EventLog.Level.WARN, "the WireGuard key was derived from the bmx7 node key of "
                        + expectedSelf.shortId() + ", but bmx7 runs as " + self.shortId()
                        + ": point --key-from-bmx7 at this bmx7's key file (its keyPath)");
            }
        }
        Map<NodeId, Bmx7Description> descriptions = descriptionCache.update(now, reading.descriptions(),
                gone(reading, descriptionCache.current().keySet(), reading.descriptions().keySet()));
        Map<NodeId, Originator> originators = originatorCache.update(now, reading.originators(),
                gone(reading, originatorCache.current().keySet(), reading.originators().keySet()));
        Set<NodeId> without = new TreeSet<>();
        for (Bmx7Description d : descriptions.values()) {
            if (!d.carriesSms(config.smsName())) {
                without.add(d.nodeId());
            }
        }
        if (reading.authoritative()) {
            without.addAll(gone(reading, records.statuses().keySet(), descriptions.keySet()));
        }
        ReceivedRecords.Update update = records.update(now, reading.smsContents(), without);
        for (String w : update.warnings()) {
            log.log(EventLog.Level.WARN, w);
        }
        boolean pending = descriptions.size() > reading.descriptions().size()
                || originators.size() > reading.originators().size()
                || recordsHeld(update.statuses(), reading.smsContents());

        MeshView v = new MeshViewBuilder(self).descriptions(descriptions.values())
                .originators(originators.values()).records(update.statuses()).build();
        noteOwnRecord(v);
        if (!v.equals(view)) {
            viewChangedAt = now;
        }
        // bmx7 writes a node's description before it knows a path to it (the path comes with its
        // OGMs, and the originators file is not watched): read again every second for a while
        awaitingPaths = now - viewChangedAt < PATH_WAIT_MILLIS && v.others().stream()
                .anyMatch(n -> n.record().isValid() && !n.isReachable());
        LocalSettings settings = config.settingsFor(self).withOwnRecord(ownRecord);
        if (!applyWanted && !reinstallRoutes && v.equals(view) && settings.equals(planned)) {
            // nothing changed since the last plan, and all of it is in place: an idle mesh costs no planning
            return pending;
        }
        boolean failuresBefore = retryWanted;
        retryWanted = false;
        MeshPlan next = MeshPlanner.plan(settings, v, plan);
        apply(DesiredState.of(next), now);
        reportIssues(plan, next);
        view = v;
        plan = next;
        planned = settings;
        applyWanted = retryWanted || !announcer.handoffs().equals(DesiredState.of(next).handoffs());
        retryWanted |= failuresBefore;
        return pending;
    }

    /** Keys to drop at once: those missing from an authoritative reading. */
    private static Set<NodeId> gone(Bmx7Reading reading, Set<NodeId> known, Set<NodeId> present) {
        if (!reading.authoritative()) {
            return Set.of();
        }
        Set<NodeId> g = new TreeSet<>(known);
        g.removeAll(present);
        return g;
    }

    /** True when a record is kept only by its grace period: its file is missing or half written. */
    private static boolean recordsHeld(Map<NodeId, RecordStatus> statuses, Map<NodeId, byte[]> contents) {
        for (Map.Entry<NodeId, RecordStatus> e : statuses.entrySet()) {
            if (!e.getValue().isValid()) {
                continue;
            }
            byte[] b = contents.get(e.getKey());
            if (b == null || b.length == 0 || b[b.length - 1] != '\n') {
                return true;
            }
        }
        return false;
    }

    private void noteOwnRecord(MeshView v) {
        MeshNode me = v.nodes().get(v.self());
        boolean seen = me != null && me.record().isValid() && me.record().record().equals(ownRecord);
        if (seen && !ownRecordSeen) {
            log.log(EventLog.Level.INFO, "bmx7 carries this node's record in its description");
        }
        ownRecordSeen = seen;
    }

    private void reportIssues(MeshPlan before, MeshPlan after) {
        Set<PlanIssue> old = new TreeSet<>(before.issues());
        for (PlanIssue i : after.issues()) {
            // a malformed record was already warned about when it was read
            if (i.kind() != PlanIssue.Kind.MALFORMED_RECORD && !old.contains(i)) {
                log.log(EventLog.Level.WARN, describe(i));
            }
        }
    }

    private static String describe(PlanIssue i) {
        String who = i.node() == null ? "" : "node " + i.node().shortId() + ": ";
        return switch (i.kind()) {
            case NOT_ALLOWED, ADDRESS_MISMATCH, DUPLICATE_KEY, OWN_KEY, MESH_SECRET_MISMATCH -> "refusing " + who + i.detail();
            default -> who + i.detail();
        };
    }

    /**
     * bmx7 searches of its own that overlap cryptun's take traffic meant for WireGuard: a warning
     * when one appears (and at start), a note when it is gone, and {@link #warnings} for show.
     */
    private void followShadows(Bmx7Reading reading) {
        if (reading.parameters() == null) {
            return;
        }
        List<String> now = new ArrayList<>();
        for (ShadowingSearches.Shadow sh : ShadowingSearches.find(config.mode(), config.searches(),
                announcer.handoffs().keySet(), reading.parameters())) {
            now.add(sh.describe(config.mode()));
        }
        for (String w : now) {
            if (!warnings.contains(w)) {
                log.log(EventLog.Level.WARN, w);
            }
        }
        for (String w : warnings) {
            if (!now.contains(w)) {
                log.log(EventLog.Level.INFO, "no longer: " + w.substring(0, w.indexOf(':')));
            }
        }
        warnings = List.copyOf(now);
    }

    // ------------------------------------------------------------------ applying

    private void apply(DesiredState want, long now) {
        applyPeers(want.peers());
        boolean reinstall = reinstallRoutes;
        reinstallRoutes = false;
        for (TableRule r : want.rules()) {
            if ((reinstall || !rules.contains(r)) && step("rule " + r, "adding " + r, () -> routeTable.addRule(r))) {
                rules.add(r);
            }
        }
        for (TunnelRoute r : want.routes()) {
            if ((reinstall || !routes.contains(r)) && step("route " + r, "adding route " + r, () -> routeTable.add(r))) {
                if (routes.add(r)) {
                    log.log(EventLog.Level.VERBOSE, "route " + r + " through the cryptun device added");
                }
            }
        }
        for (TunnelRoute r : new ArrayList<>(routes)) {
            if (!want.routes().contains(r) && step("route " + r, "removing route " + r, () -> routeTable.remove(r))) {
                routes.remove(r);
                log.log(EventLog.Level.VERBOSE, "route " + r + " removed");
            }
        }
        for (TableRule r : new ArrayList<>(rules)) {
            if (!want.rules().contains(r) && step("rule " + r, "removing " + r, () -> routeTable.removeRule(r))) {
                rules.remove(r);
            }
        }
        announcer.applyHandoffs(want.handoffs(), now);
        Map<String, String> r = new TreeMap<>();
        peers.forEach((k, p) -> {
            if (p.isRefused()) {
                r.put(k, "refused: " + p.refusal());
            }
        });
        refusals = Collections.unmodifiableMap(r);
    }

    /** New peers first, then changes, then removals: a prefix moving between peers is never held by two. */
    private void applyPeers(Map<String, PlannedPeer> want) {
        for (Map.Entry<String, PlannedPeer> e : want.entrySet()) {
            PlannedPeer p = e.getValue();
            if (!peers.containsKey(e.getKey()) && step("peer " + e.getKey(), "adding peer " + p, () -> peerTable.add(p))) {
                peers.put(e.getKey(), p);
                log.log(EventLog.Level.INFO, "peer " + label(p) + " added: endpoint " + endpoint(p) + describe(p));
            }
        }
        for (Map.Entry<String, PlannedPeer> e : want.entrySet()) {
            PlannedPeer before = peers.get(e.getKey());
            PlannedPeer after = e.getValue();
            if (before != null && !before.equals(after)
                    && step("peer " + e.getKey(), "updating peer " + after, () -> peerTable.update(before, after))) {
                peers.put(e.getKey(), after);
                log.log(EventLog.Level.INFO, "peer " + label(after) + " updated: endpoint " + endpoint(after)
                        + describe(after));
            }
        }
        for (Map.Entry<String, PlannedPeer> e : new ArrayList<>(peers.entrySet())) {
            PlannedPeer p = e.getValue();
            if (!want.containsKey(e.getKey()) && step("peer " + e.getKey(), "removing peer " + p, () -> peerTable.remove(p))) {
                peers.remove(e.getKey());
                log.log(EventLog.Level.INFO, "peer " + label(p) + " removed");
            }
        }
    }

    private static String label(PlannedPeer p) {
        return p.node().shortId() + " (key " + Keys.shortLabel(p.publicKey()) + ")";
    }

    private static String describe(PlannedPeer p) {
        String psk = p.pskGenerations().isEmpty() ? "" : ", mesh secret " + p.pskGenerations().get(0)
                + (p.pskGenerations().size() > 1 ? " (alternatives " + String.join(",",
                p.pskGenerations().subList(1, p.pskGenerations().size())) + ")" : "");
        return p.isRefused() ? ", refused (" + p.refusal() + "), allowed nothing" + psk
                : ", allowed IPs " + p.allowedIps() + psk;
    }

    private static String endpoint(PlannedPeer p) {
        return "[" + IpPrefix.hostString(p.endpointAddress().getAddress()) + "]:" + p.endpointPort();
    }

    @FunctionalInterface
    private interface Step {
        void run() throws IOException;
    }

    /** Runs one step; a failure is logged once (per topic and message) and retried at the next scan. */
    private boolean step(String topic, String what, Step s) {
        try {
            s.run();
            once.clear(topic);
            return true;
        } catch (IOException | RuntimeException e) {
            once.log(topic, EventLog.Level.ERROR, what + " failed: " + e.getMessage());
            retryWanted = true;
            return false;
        }
    }

    // ------------------------------------------------------------------ shutting down

    /**
     * Withdraws everything this reactor put in place: first what bmx7 holds for it (the record
     * first, so other nodes stop sending to this one, then the offers and the searches handed
     * over), then routes, rules and peers. Failures are logged and do not stop the rest.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        announcer.close();
        for (TunnelRoute r : routes) {
            quietly("removing route " + r, () -> routeTable.remove(r));
        }
        routes.clear();
        for (TableRule r : rules) {
            quietly("removing " + r, () -> routeTable.removeRule(r));
        }
        rules.clear();
        for (PlannedPeer p : peers.values()) {
            quietly("removing peer " + label(p), () -> peerTable.remove(p));
        }
        peers.clear();
        refusals = Map.of();
    }

    private void quietly(String what, Step s) {
        try {
            s.run();
        } catch (IOException | RuntimeException e) {
            log.log(EventLog.Level.ERROR, what + " failed: " + e.getMessage());
        }
    }
}
