package io.cryptun.cli.it;

import io.cryptun.cli.it.standin.StandInNode;
import io.cryptun.cli.it.standin.SyntheticMesh;
import io.cryptun.noise.crypto.Keys;
import io.cryptun.noise.crypto.X25519Keys;
import io.cryptun.testkit.ExecResult;
import io.cryptun.testkit.Netns;
import io.cryptun.testkit.NetnsSet;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * Four namespaces forming a line and a branch, A — B — C and B — D, wired as bmx7 would wire
 * them: each node's primary address (fd70: + its node id) on its mesh interfaces as /16, a host
 * route to every other node's primary address in table 70 behind {@code ip -6 rule pref 70}, and
 * forwarding on the relay B. This class is the routing daemon's stand-in for those routes; a
 * {@link SyntheticMesh} stands in for bmx7's control socket, json and sms trees, one node per
 * namespace plus a plain bmx7 gateway E (no namespace, no cryptun, linked to D) that offers
 * 10.88.0.0/16. {@code cryptun mesh} runs in each namespace from the packaged jar. Closing kills
 * the processes by PID and deletes the namespaces, the sockets and the work directory.
 */
final class MeshLab implements AutoCloseable {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    static final int PORT = 51820;

    /** One namespace with its bmx7 stand-in node and its cryptun process. */
    final class Host {
        final String name;
        final Netns ns;
        final StandInNode bmx7;
        final String ifname;
        final Path keyFile;
        final Path log;
        /** bmx7's node key file when the WireGuard key is derived from it ({@code --key-from-bmx7}), else null. */
        Path bmx7KeyFile;
        Process process;

        Host(String name, Netns ns, StandInNode bmx7) {
            this.name = name;
            this.ns = ns;
            this.bmx7 = bmx7;
            this.ifname = "ctms" + tag + name.toLowerCase();
            this.keyFile = workDir.resolve("keys/" + name + ".key");
            this.log = workDir.resolve(name + ".log");
        }

        /** Starts {@code cryptun mesh} here and waits for its UAPI socket. */
        void start(String... args) throws Exception {
            List<String> cmd = new ArrayList<>(List.of("env", "LOG_LEVEL=verbose", CryptunEndpoint.java(), "-jar",
                    CryptunEndpoint.jar().toString(), "mesh", ifname, "--bmx7-dir", bmx7.runtimeDir.toString(),
                    "--listen-port", Integer.toString(PORT)));
            cmd.addAll(bmx7KeyFile != null ? List.of("--key-from-bmx7", bmx7KeyFile.toString())
                    : List.of("--private-key-file", keyFile.toString()));
            cmd.addAll(List.of(args));
            Files.writeString(log, "---- start " + String.join(" ", args) + "\n", StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            process = ns.spawn(cmd, log);
            Path sock = Endpoint.SOCKET_DIR.resolve(ifname + ".sock");
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!Files.exists(sock)) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("cryptun mesh on " + name + " exited early:\n" + Files.readString(log));
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("cryptun mesh on " + name + " did not come up:\n" + Files.readString(log));
                }
                Thread.sleep(50);
            }
        }

        /** SIGTERM, as an init system stops it, and waits for it to withdraw and end. */
        void stop() throws Exception {
            if (process == null) {
                return;
            }
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("cryptun mesh on " + name + " did not stop on SIGTERM");
            }
            process = null;
        }

        String publicKey() throws IOException {
            if (bmx7KeyFile != null) {
                io.cryptun.routing.bmx7.Bmx7NodeKey k = io.cryptun.routing.bmx7.Bmx7NodeKey.read(bmx7KeyFile);
                byte[] priv = io.cryptun.routing.psk.MeshIdentity.wireGuardPrivateKey(k);
                k.destroy();
                return Keys.toBase64(X25519Keys.publicFromPrivate(priv));
            }
            byte[] priv = Keys.fromBase64(Files.readString(keyFile).strip());
            return Keys.toBase64(X25519Keys.publicFromPrivate(priv));
        }

        /** {@code wg show IFNAME dump}: the peers by public key. */
        Map<String, WgPeer> peers() {
            ExecResult r = ns.exec("wg", "show", ifname, "dump");
            Map<String, WgPeer> out = new LinkedHashMap<>();
            if (!r.succeeded()) {
                return out;
            }
            String[] lines = r.stdout().split("\n");
            for (int i = 1; i < lines.length; i++) {
                String[] f = lines[i].split("\t");
                if (f.length >= 8) {
                    List<String> allowed = f[3].equals("(none)") ? List.of() : List.of(f[3].split(","));
                    out.put(f[0], new WgPeer(f[0], f[2], allowed, Long.parseLong(f[4]), Long.parseLong(f[5]),
                            Long.parseLong(f[6])));
                }
            }
            return out;
        }

        String endpoint() {
            return "[" + bmx7.primaryAddress() + "]:" + PORT;
        }

        ExecResult exec(String... argv) {
            return ns.exec(argv);
        }
    }

    /** One line of {@code wg show dump} for a peer. */
    record WgPeer(String key, String endpoint, List<String> allowedIps, long latestHandshake, long rx, long tx) {
    }

    final String tag;
    final Path workDir;
    final NetnsSet namespaces = new NetnsSet();
    final SyntheticMesh mesh;
    final Map<String, Host> hosts = new LinkedHashMap<>();
    final StandInNode plainGateway;

    MeshLab() throws Exception {
        tag = Long.toString(ProcessHandle.current().pid() % 1000, 36) + COUNTER.incrementAndGet();
        workDir = Files.createTempDirectory("ctms-it-");
        Files.createDirectories(workDir.resolve("keys"));
        mesh = new SyntheticMesh(workDir.resolve("bmx7"));
        try {
            int i = 1;
            for (String n : List.of("A", "B", "C", "D")) {
                Netns ns = namespaces.create("ctms" + n.toLowerCase());
                StandInNode node = mesh.addNode("node" + n, "10.254." + i + ".1/32", "2001:db8:" + i + "::1/64");
                hosts.put(n, new Host(n, ns, node));
                i++;
            }
            plainGateway = mesh.addNode("nodeE", "10.254.5.1/32", "2001:db8:5::1/64");
            mesh.operator(plainGateway, "tunIn=gwe /network=10.88.0.0/16 /bandwidth=50000000");
            wire();
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    Host host(String name) {
        return hosts.get(name);
    }

    private void wire() {
        Host a = host("A");
        Host b = host("B");
        Host c = host("C");
        Host d = host("D");
        Netns.veth(a.ns, "vA0", b.ns, "vB0");
        Netns.veth(b.ns, "vB1", c.ns, "vC0");
        Netns.veth(b.ns, "vB2", d.ns, "vD0");
        mesh.link(a.bmx7, b.bmx7, 1_000_000_000L);
        mesh.link(b.bmx7, c.bmx7, 800_000_000L);
        mesh.link(b.bmx7, d.bmx7, 500_000_000L);
        mesh.link(d.bmx7, plainGateway, 500_000_000L);
        Map<Host, List<String>> ifs = Map.of(a, List.of("vA0"), b, List.of("vB0", "vB1", "vB2"), c, List.of("vC0"),
                d, List.of("vD0"));
        for (Host h : hosts.values()) {
            h.ns.exec("sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=" + (h == b ? 1 : 0)).requireSuccess();
            for (String itf : ifs.get(h)) {
                h.ns.ip("-6", "addr", "add", h.bmx7.primaryAddress() + "/16", "dev", itf, "nodad");
            }
            h.ns.ip("-6", "rule", "add", "pref", "70", "lookup", "70");
        }
        // B reaches everyone directly; the leaves reach everyone through B
        route(b, a, "vB0", null);
        route(b, c, "vB1", null);
        route(b, d, "vB2", null);
        for (Host leaf : List.of(a, c, d)) {
            String dev = ifs.get(leaf).get(0);
            route(leaf, b, dev, null);
            for (Host other : List.of(a, c, d)) {
                if (other != leaf) {
                    route(leaf, other, dev, b);
                }
            }
        }
        // what the gateways serve: an address each in 10.99.0.0/16, and one in C's 2001:db8:99::/48
        c.ns.ip("addr", "add", "10.99.3.1/32", "dev", "lo");
        c.ns.ip("-6", "addr", "add", "2001:db8:99::3/128", "dev", "lo");
        d.ns.ip("addr", "add", "10.99.4.1/32", "dev", "lo");
    }

    private static void route(Host from, Host to, String dev, Host via) {
        List<String> args = new ArrayList<>(List.of("-6", "route", "add", to.bmx7.primaryAddress() + "/128"));
        if (via != null) {
            args.addAll(List.of("via", via.bmx7.primaryAddress()));
        }
        args.addAll(List.of("dev", dev, "table", "70"));
        if (via != null) {
            args.add("onlink");
        }
        from.ns.ip(args.toArray(new String[0]));
    }

    /**
     * Pings from a namespace until one echo comes back (a tunnel may still be handshaking after a
     * change), then requires every echo of a run with {@code args} to come back.
     */
    static void requirePings(Netns ns, String from, String to, Duration timeout, String... args) throws InterruptedException {
        await("a ping from " + from + " to " + to + " comes back", timeout,
                () -> ns.exec("ping", "-n", "-c", "1", "-W", "1", to).succeeded());
        List<String> cmd = new ArrayList<>(List.of("ping", "-n", "-W", "2", "-i", "0.2"));
        cmd.addAll(List.of(args));
        cmd.add(to);
        ExecResult r = ns.exec(cmd.toArray(new String[0]));
        if (!r.succeeded()) {
            throw new AssertionError(String.join(" ", cmd) + " from " + from + " failed:\n" + r.stdout() + r.stderr());
        }
    }

    /** Waits until the condition holds; prints how long it took (the test's output says how fast the mesh follows). */
    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting until " + what);
            }
            Thread.sleep(100);
        }
        System.out.printf("%6d ms  %s%n", (System.nanoTime() - start) / 1_000_000, what);
    }

    String logs() {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> s = Files.list(workDir)) {
            s.filter(p -> p.toString().endsWith(".log")).sorted().forEach(p -> {
                try {
                    sb.append("---- ").append(p.getFileName()).append('\n').append(Files.readString(p));
                } catch (IOException e) {
                    sb.append(e).append('\n');
                }
            });
        } catch (IOException e) {
            sb.append(e);
        }
        for (Host h : hosts.values()) {
            sb.append("---- bmx7 requests on ").append(h.name).append(": ").append(h.bmx7.requests()).append('\n');
        }
        return sb.toString();
    }

    @Override
    public void close() {
        try {
            namespaces.close();
        } finally {
            mesh.close();
            for (Host h : hosts.values()) {
                try {
                    Files.deleteIfExists(Endpoint.SOCKET_DIR.resolve(h.ifname + ".sock"));
                } catch (IOException e) {
                    // best effort
                }
            }
            try (Stream<Path> s = Files.walk(workDir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // best effort
            }
        }
    }
}
