package io.cryptun.cli.it.standin;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.routing.bmx7.Bmx7Configuration;
import io.cryptun.routing.bmx7.Bmx7Numbers;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A stand-in for a mesh of bmx7 daemons, for tests: every node has a runtime directory with a
 * control socket and the json and sms trees, written the way bmx7 writes them. It does not route
 * (the test installs the fd70 routes itself); it keeps what the daemons would know consistent:
 *
 * <ul>
 * <li>control socket: {@code syncSms=}, {@code tunIn=}, {@code tunOut=} (and their {@code -NAME}
 * removals) are applied by bmx7's rules ({@link Bmx7Configuration}, checked against the real
 * daemon): what bmx7 refuses gets its {@code ERROR} lines without {@code $}, the rest bmx7's
 * {@code INFO} lines and {@code $}; {@code parameters} is answered; anything else is refused.
 * Every request is recorded.</li>
 * <li>sms: each node's {@code sms/sendSms/<name>} of every synced name is read every 100 ms, as
 * bmx7 reads it on inotify.</li>
 * <li>when a node's description changes, every node that can reach it rewrites its files for it
 * in bmx7's order and as non-atomically: delete {@code json/descriptions/X} and
 * {@code json/originators/X}, delete X's received sms files, create each one empty and write it,
 * then write the description and the originator.</li>
 * <li>every second the originators and the status are rewritten in place (jsonUpdateInterval=1000).</li>
 * <li>path metrics are the widest path over the links the test declares; a node nobody can
 * reach, or one taken away, vanishes from the others' files.</li>
 * </ul>
 */
public final class SyntheticMesh implements AutoCloseable {
    public static final String SMS = "cryptun";

    private final Path base;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, StandInNode> nodes = new LinkedHashMap<>();
    private final Map<StandInNode, Map<StandInNode, Long>> links = new HashMap<>();
    private final ScheduledExecutorService timer;

    public SyntheticMesh(Path base) {
        this.base = base;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ctms-standin-timer");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::pollSendSms, 100, 100, TimeUnit.MILLISECONDS);
        timer.scheduleWithFixedDelay(this::refreshInPlace, 1000, 1000, TimeUnit.MILLISECONDS);
    }

    /**
     * A node with a tunDev ({@code tun4}/{@code tun6} as bmx7's {@code /tun4Address} and
     * {@code /tun6Address}, either may be null), serving its control socket at once.
     */
    public synchronized StandInNode addNode(String hostname, String tun4, String tun6) throws IOException {
        StandInNode n = new StandInNode(this, hostname, base.resolve(hostname), tun4, tun6, random);
        n.createDirectories();
        nodes.put(hostname, n);
        links.put(n, new HashMap<>());
        n.socket = new ControlSocket(n.socketPath(), req -> handle(n, req), "ctms-standin-" + hostname);
        descriptionChanged(n);
        return n;
    }

    public synchronized StandInNode node(String hostname) {
        return nodes.get(hostname);
    }

    /** A link between two nodes with this metric (bit/s; bmx7 shows e.g. 706M). */
    public synchronized void link(StandInNode a, StandInNode b, long metric) {
        links.get(a).put(b, metric);
        links.get(b).put(a, metric);
        resync();
    }

    /** The node is gone (its daemon stopped long enough): every other node forgets it. */
    public synchronized void takeAway(StandInNode n) {
        n.up = false;
        resync();
    }

    public synchronized void bringBack(StandInNode n) {
        n.up = true;
        descriptionChanged(n);
    }

    /** An operator's option change on that node's bmx7, e.g. {@code tunIn=-gw4}: applied, not recorded. */
    public synchronized String operator(StandInNode n, String request) {
        return new String(apply(n, request), StandardCharsets.US_ASCII);
    }

    // ------------------------------------------------------------------ control socket

    private synchronized byte[] handle(StandInNode n, String request) {
        n.record(request);
        return apply(n, request);
    }

    /**
     * bmx7's rules decide (Bmx7Configuration: what bmx7 refuses is refused); what changed then
     * takes effect as in bmx7: syncSms and tunIn make a new description, tunOut only the node's
     * own files. {@code parameters} is answered from the configuration.
     */
    private byte[] apply(StandInNode n, String request) {
        if (request.trim().equals("parameters")) {
            return n.config.parametersText().getBytes(StandardCharsets.US_ASCII);
        }
        Bmx7Configuration.Reply r = n.config.apply(request);
        if (!r.changed()) {
            return r.bytes();
        }
        String option = request.trim().substring(0, Math.max(0, request.trim().indexOf('=')));
        switch (option) {
            case "syncSms" -> {
                if (syncSmsData(n)) {
                    descriptionChanged(n);
                } else {
                    writeOwnFiles(n);
                }
            }
            case "tunIn" -> descriptionChanged(n);
            default -> writeOwnFiles(n);
        }
        return r.bytes();
    }

    /** Makes the node's published sms match its syncSms names and sendSms files; true when they changed. */
    private static boolean syncSmsData(StandInNode n) {
        boolean changed = false;
        List<String> synced = n.syncedSms();
        for (String name : new ArrayList<>(n.smsData.keySet())) {
            if (!synced.contains(name)) {
                n.smsData.remove(name);
                changed = true;
            }
        }
        for (String name : synced) {
            byte[] now = n.readSendSms(name);
            byte[] before = n.smsData.get(name);
            if (now == null && before != null) {
                n.smsData.remove(name);
                changed = true;
            } else if (now != null && !Arrays.equals(now, before)) {
                n.smsData.put(name, now);
                changed = true;
            }
        }
        return changed;
    }

    /**
     * bmx7 on that node restarts without a new socket file (on ext4 the new socket often gets the
     * old inode): everything set through its socket is forgotten, its description (new boot
     * sequence number) no longer carries the sms until syncSms is given again.
     */
    public synchronized void restartKeepingTheSocket(StandInNode n) {
        n.restart();
        descriptionChanged(n);
    }

    // ------------------------------------------------------------------ propagation

    private void pollSendSms() {
        synchronized (this) {
            for (StandInNode n : nodes.values()) {
                if (n.up && syncSmsData(n)) {
                    descriptionChanged(n);
                }
            }
        }
    }

    /** A new description of {@code x}: every node that knows it rewrites its files for it. */
    private void descriptionChanged(StandInNode x) {
        x.descSqn++;
        writeOwnFiles(x);
        for (StandInNode y : nodes.values()) {
            if (y.up && x.up && path(y, x) != null) {
                rewriteFilesFor(y, x);
            }
        }
    }

    /** Makes every node's files match reachability: new nodes written, unreachable ones removed. */
    private void resync() {
        for (StandInNode y : nodes.values()) {
            if (!y.up) {
                continue;
            }
            for (StandInNode x : nodes.values()) {
                boolean known = Files.exists(y.runtimeDir.resolve("json/descriptions/" + x.id));
                boolean reachable = x.up && path(y, x) != null;
                if (reachable && !known) {
                    rewriteFilesFor(y, x);
                } else if (!reachable && known) {
                    forget(y, x);
                } else if (reachable) {
                    writeOriginator(y, x);
                }
            }
            writeOwnFiles(y);
        }
    }

    private void writeOwnFiles(StandInNode n) {
        try {
            write(n.runtimeDir.resolve("json/status"), n.statusJson(known(n)));
            write(n.runtimeDir.resolve("json/parameters"), n.parametersJson());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private int known(StandInNode y) {
        int k = 0;
        for (StandInNode x : nodes.values()) {
            if (x.up && path(y, x) != null) {
                k++;
            }
        }
        return k;
    }

    private void rewriteFilesFor(StandInNode y, StandInNode x) {
        try {
            Path desc = y.runtimeDir.resolve("json/descriptions/" + x.id);
            Path orig = y.runtimeDir.resolve("json/originators/" + x.id);
            Files.deleteIfExists(desc);
            Files.deleteIfExists(orig);
            deleteSmsOf(y, x);
            for (Map.Entry<String, byte[]> e : x.smsData.entrySet()) {
                Path f = y.rcvdSms(x.id, e.getKey());
                // open(O_CREAT|O_TRUNC) then write: a reader may find it empty or short
                try (OutputStream out = Files.newOutputStream(f)) {
                    out.write(e.getValue());
                }
            }
            write(desc, x.descriptionJson());
            writeOriginator(y, x);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void forget(StandInNode y, StandInNode x) {
        try {
            Files.deleteIfExists(y.runtimeDir.resolve("json/descriptions/" + x.id));
            Files.deleteIfExists(y.runtimeDir.resolve("json/originators/" + x.id));
            deleteSmsOf(y, x);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteSmsOf(StandInNode y, StandInNode x) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(y.runtimeDir.resolve("sms/rcvdSms"), x.id + ":*")) {
            for (Path p : ds) {
                Files.deleteIfExists(p);
            }
        }
    }

    private void writeOriginator(StandInNode y, StandInNode x) {
        List<StandInNode> p = path(y, x);
        if (p == null) {
            return;
        }
        long metric = y == x ? Bmx7Numbers.UMETRIC_MAX : pathMetric(p);
        try {
            write(y.runtimeDir.resolve("json/originators/" + x.id),
                    x.originatorJson(y, metric, p.size() - 1, p.size() > 1 ? p.get(1) : null));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** In place, as the json plugin refreshes its periodic files: open with O_TRUNC, then write. */
    private synchronized void refreshInPlace() {
        for (StandInNode y : nodes.values()) {
            if (!y.up) {
                continue;
            }
            for (StandInNode x : nodes.values()) {
                if (x.up && Files.exists(y.runtimeDir.resolve("json/originators/" + x.id))) {
                    writeOriginator(y, x);
                }
            }
            writeOwnFiles(y);
        }
    }

    private static void write(Path p, String content) throws IOException {
        Files.writeString(p, content, StandardCharsets.US_ASCII);
    }

    // ------------------------------------------------------------------ topology

    /** The widest path from {@code from} to {@code to} over up nodes, as a node list, or null. */
    private List<StandInNode> path(StandInNode from, StandInNode to) {
        if (!from.up || !to.up) {
            return null;
        }
        if (from == to) {
            return List.of(from);
        }
        Map<StandInNode, Long> width = new HashMap<>();
        Map<StandInNode, StandInNode> prev = new HashMap<>();
        List<StandInNode> open = new ArrayList<>();
        width.put(from, Long.MAX_VALUE);
        open.add(from);
        while (!open.isEmpty()) {
            StandInNode best = open.get(0);
            for (StandInNode n : open) {
                if (width.get(n) > width.get(best)) {
                    best = n;
                }
            }
            open.remove(best);
            for (Map.Entry<StandInNode, Long> e : links.get(best).entrySet()) {
                StandInNode next = e.getKey();
                if (!next.up) {
                    continue;
                }
                long w = Math.min(width.get(best), e.getValue());
                if (w > width.getOrDefault(next, -1L)) {
                    width.put(next, w);
                    prev.put(next, best);
                    if (!open.contains(next)) {
                        open.add(next);
                    }
                }
            }
        }
        if (!prev.containsKey(to)) {
            return null;
        }
        List<StandInNode> p = new ArrayList<>();
        for (StandInNode n = to; n != null; n = prev.get(n)) {
            p.add(0, n);
        }
        return p;
    }

    private long pathMetric(List<StandInNode> p) {
        long m = Long.MAX_VALUE;
        for (int i = 0; i + 1 < p.size(); i++) {
            m = Math.min(m, links.get(p.get(i)).get(p.get(i + 1)));
        }
        return m;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            for (StandInNode n : nodes.values()) {
                try {
                    n.socket.close();
                } catch (IOException e) {
                    // best effort
                }
            }
        }
    }
}
