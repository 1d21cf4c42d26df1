package io.cryptun.cli.it;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.noise.crypto.Keys;
import io.cryptun.noise.crypto.X25519Keys;
import io.cryptun.routing.NodeId;
import io.cryptun.routing.bmx7.Bmx7ControlClient;
import io.cryptun.routing.bmx7.Bmx7Options;
import io.cryptun.testkit.ExecResult;
import io.cryptun.testkit.Netns;
import io.cryptun.testkit.NetnsSet;
import io.cryptun.testkit.Processes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Four network namespaces in a star, A — B, B — C, B — D, each running a real bmx7 daemon (its
 * tun, sms and json plugins; a tunDev with the node's tunnel addresses; jsonUpdateInterval=1000)
 * and {@code cryptun mesh} from the packaged jar next to it. bmx7 comes from {@code BMX7} (its
 * plugins beside it, in its {@code lib/} directory, or in {@code BMX7_LIB_PATH}). On a kernel
 * without ip6_tunnel, bmx7's tunnel devices are emulated with TUN devices by an LD_PRELOAD shim
 * (test resource bmx7/ip6tnl-shim.c, our own code) compiled here: bmx7's control plane works,
 * its plain tunnels carry nothing.
 *
 * <p>The runtime directories (control socket, json and sms trees) live on ext4 or on a tmpfs the
 * lab mounts: bmx7's restart behaviour differs (a new socket on ext4 often gets the old inode).
 * Closing stops every process by PID, deletes the namespaces, unmounts and removes the work directory.
 */
final class RealBmx7Lab implements AutoCloseable {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    static final int PORT = 51820;

    /** Where bmx7 and its plugins are, or null (with the reason) when this machine has none. */
    record Bmx7Install(Path binary, Path pluginDir) {
        static String missingReason() {
            String bmx7 = System.getenv("BMX7");
            if (bmx7 == null || bmx7.isBlank()) {
                return "BMX7 is not set (BMX7=/path/to/bmx7, plugins beside it): bmx7 is not in Debian, build it from"
                        + " its source (docs/mesh.md)";
            }
            if (!Files.isExecutable(Path.of(bmx7))) {
                return "BMX7=" + bmx7 + " is not an executable";
            }
            return find() == null ? "no bmx7_tun.so, bmx7_sms.so and bmx7_json.so beside " + bmx7
                    + ", in its lib/ directory or in BMX7_LIB_PATH" : null;
        }

        static Bmx7Install find() {
            Path bin = Path.of(System.getenv("BMX7")).toAbsolutePath();
            List<Path> candidates = new ArrayList<>();
            String lib = System.getenv("BMX7_LIB_PATH");
            if (lib != null && !lib.isBlank()) {
                candidates.add(Path.of(lib));
            }
            candidates.add(bin.getParent());
            candidates.add(bin.getParent().resolve("lib"));
            for (Path d : candidates) {
                if (Stream.of("bmx7_tun.so", "bmx7_sms.so", "bmx7_json.so").allMatch(p -> Files.exists(d.resolve(p)))) {
                    return new Bmx7Install(bin, d.toAbsolutePath());
                }
            }
            return null;
        }
    }

    /** One namespace: its bmx7 daemon and its cryptun. */
    final class Node {
        final String name;
        final int number;
        final Netns ns;
        final Path runtimeDir;
        final Path etcDir;
        final String ifname;
        final Path keyFile;
        final Path cryptunLog;
        final Path bmx7Log;
        final List<String> devs = new ArrayList<>();
        Process bmx7;
        Process cryptun;
        /** How often bmx7 ended by itself and was started again. */
        int respawns;
        NodeId id;

        Node(String name, int number, Netns ns) {
            this.name = name;
            this.number = number;
            this.ns = ns;
            this.runtimeDir = runBase.resolve(name + "/run");
            this.etcDir = workDir.resolve(name + "/etc");
            this.ifname = "ctrb" + tag + name.toLowerCase();
            this.keyFile = workDir.resolve("keys/" + name + ".key");
            this.cryptunLog = workDir.resolve(name + "-cryptun.log");
            this.bmx7Log = workDir.resolve(name + "-bmx7.log");
        }

        String tun4() {
            return "10.254." + number + ".1/32";
        }

        String tun6() {
            return "2001:db8:" + number + "::1/128";
        }

        /** bmx7's command line, in the order bmx7 requires: runtimeDir and plugins, key, hostname, the rest. */
        List<String> bmx7Command() {
            List<String> cmd = new ArrayList<>(List.of("env", "BMX7_LIB_PATH=" + install.pluginDir()));
            if (shim != null) {
                cmd.add("LD_PRELOAD=" + shim);
            }
            // no core file in the build's working directory when bmx7 aborts (see respawnIfEnded); prlimit execs bmx7
            if (Files.isExecutable(Path.of("/usr/bin/prlimit"))) {
                cmd.addAll(List.of("/usr/bin/prlimit", "--core=0", "--"));
            }
            cmd.addAll(List.of(install.binary().toString(), "runtimeDir=" + runtimeDir, "plugin=bmx7_tun.so",
                    "plugin=bmx7_sms.so", "plugin=bmx7_json.so", "nodeRsaKey=6", "/keyPath=" + etcDir.resolve("rsa.der"),
                    "hostname=node" + name, "descSqnPath=" + etcDir.resolve("descSqn")));
            devs.forEach(d -> cmd.add("dev=" + d));
            cmd.addAll(List.of("tunDev=Default", "/tun4Address=" + tun4(), "/tun6Address=2001:db8:" + number + "::1/64",
                    "jsonUpdateInterval=1000", "debug=0"));
            return cmd;
        }

        void startBmx7() throws IOException {
            Files.createDirectories(runtimeDir);
            Files.createDirectories(etcDir);
            Files.writeString(bmx7Log, "---- start\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            bmx7 = ns.spawn(bmx7Command(), bmx7Log);
        }

        /**
         * Starts bmx7 again if it ended by itself, as an init system's respawn would, and says why it
         * ended (its ERROR lines since it was started). bmx7 9020896 built with mbedTLS 2.x ends at
         * start about once in 256 starts: a fresh DH link key whose public value has a leading zero
         * byte fails {@code cryptDhmPubKeyGetRaw} ("dhm.GXlen=255 dhm.len=256", then "First SIGSEGV
         * -502720"). Returns true when it did so.
         */
        boolean respawnIfEnded() throws IOException {
            if (bmx7 == null || bmx7.isAlive()) {
                return false;
            }
            String log = Files.readString(bmx7Log);
            String lastStart = log.substring(Math.max(0, log.lastIndexOf("---- start")));
            StringBuilder errors = new StringBuilder();
            lastStart.lines().filter(l -> l.contains("ERROR")).forEach(l -> errors.append("\n    ").append(l));
            System.out.println("bmx7 on " + name + " (pid " + bmx7.pid() + ") ended by itself with exit code " + bmx7.exitValue()
                    + "; started again. Its errors:" + errors);
            respawns++;
            startBmx7();
            return true;
        }

        /** SIGTERM, as an init system stops it; waits for it to end. */
        void stopBmx7() throws InterruptedException {
            if (bmx7 == null) {
                return;
            }
            bmx7.destroy();
            if (!bmx7.waitFor(10, TimeUnit.SECONDS)) {
                bmx7.destroyForcibly();
                bmx7.waitFor(5, TimeUnit.SECONDS);
            }
            bmx7 = null;
        }

        Bmx7ControlClient control() {
            return new Bmx7ControlClient(runtimeDir.resolve("sock"), Duration.ofSeconds(3));
        }

        /** bmx7's configuration now, through its control socket; null when it does not answer. */
        Bmx7Options parameters() {
            try {
                return control().parameters();
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }

        /** The control socket's inode, or null when there is none. */
        Object socketInode() {
            try {
                return Files.readAttributes(runtimeDir.resolve("sock"), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                        .fileKey();
            } catch (IOException e) {
                return null;
            }
        }

        /** The description of node {@code of} as this node's bmx7 holds it now, or null. */
        io.cryptun.routing.bmx7.Bmx7Description descriptionOf(Node of) {
            try {
                String text = Files.readString(runtimeDir.resolve("json/descriptions/" + of.id));
                return io.cryptun.routing.bmx7.JsonDescriptions.parse(of.id, text);
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }

        /** How many nodes bmx7 knows (json/originators, itself included). */
        int originatorsKnown() {
            try (Stream<Path> s = Files.list(runtimeDir.resolve("json/originators"))) {
                return (int) s.filter(p -> NodeId.isNodeIdText(p.getFileName().toString())).count();
            } catch (IOException e) {
                return 0;
            }
        }

        String primaryAddress() {
            return IpPrefix.hostString(id.primaryAddress().getAddress());
        }

        String endpoint() {
            return "[" + primaryAddress() + "]:" + PORT;
        }

        void startCryptun(String... args) throws Exception {
            List<String> cmd = new ArrayList<>(List.of("env", "LOG_LEVEL=verbose", CryptunEndpoint.java(), "-jar",
                    CryptunEndpoint.jar().toString(), "mesh", ifname, "--bmx7-dir", runtimeDir.toString(),
                    "--listen-port", Integer.toString(PORT), "--private-key-file", keyFile.toString()));
            cmd.addAll(List.of(args));
            Files.writeString(cryptunLog, "---- start " + String.join(" ", args) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            cryptun = ns.spawn(cmd, cryptunLog);
            Path sock = Endpoint.SOCKET_DIR.resolve(ifname + ".sock");
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!Files.exists(sock)) {
                if (!cryptun.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("cryptun mesh on " + name + " did not come up:\n" + Files.readString(cryptunLog));
                }
                Thread.sleep(50);
            }
        }

        void stopCryptun() throws Exception {
            if (cryptun == null) {
                return;
            }
            cryptun.destroy();
            if (!cryptun.waitFor(20, TimeUnit.SECONDS)) {
                cryptun.destroyForcibly();
                throw new IllegalStateException("cryptun mesh on " + name + " did not stop on SIGTERM");
            }
            cryptun = null;
        }

        String publicKey() throws IOException {
            byte[] priv = Keys.fromBase64(Files.readString(keyFile).strip());
            try {
                return Keys.toBase64(X25519Keys.publicFromPrivate(priv));
            } finally {
                Keys.zero(priv);
            }
        }

        Map<String, MeshLab.WgPeer> peers() {
            ExecResult r = ns.exec("wg", "show", ifname, "dump");
            Map<String, MeshLab.WgPeer> out = new LinkedHashMap<>();
            if (!r.succeeded()) {
                return out;
            }
            String[] lines = r.stdout().split("\n");
            for (int i = 1; i < lines.length; i++) {
                String[] f = lines[i].split("\t");
                if (f.length >= 8) {
                    List<String> allowed = f[3].equals("(none)") ? List.of() : List.of(f[3].split(","));
                    out.put(f[0], new MeshLab.WgPeer(f[0], f[2], allowed, Long.parseLong(f[4]), Long.parseLong(f[5]),
                            Long.parseLong(f[6])));
                }
            }
            return out;
        }

        ExecResult exec(String... argv) {
            return ns.exec(argv);
        }
    }

    final String tag;
    final Path workDir;
    final Path runBase;
    final boolean tmpfs;
    final Bmx7Install install;
    final NetnsSet namespaces = new NetnsSet();
    final Map<String, Node> nodes = new LinkedHashMap<>();
    private Path shim;
    private boolean mounted;

    /** @param tmpfs put the runtime directories on a tmpfs of the lab's own instead of ext4 (/tmp) */
    RealBmx7Lab(boolean tmpfs) throws Exception {
        this.tmpfs = tmpfs;
        this.install = Bmx7Install.find();
        tag = Long.toString(ProcessHandle.current().pid() % 1000, 36) + COUNTER.incrementAndGet();
        workDir = Files.createTempDirectory("ctrb-it-");
        runBase = workDir.resolve("run");
        try {
            Files.createDirectories(workDir.resolve("keys"));
            Files.createDirectories(runBase);
            if (tmpfs) {
                Processes.run("mount", "-t", "tmpfs", "-o", "size=64m,mode=0755", "tmpfs", runBase.toString()).requireSuccess();
                mounted = true;
            }
            if (!kernelHasIp6Tunnel()) {
                shim = compileShim();
            }
            int i = 1;
            for (String n : List.of("A", "B", "C", "D")) {
                nodes.put(n, new Node(n, i++, namespaces.create("rb" + n.toLowerCase())));
            }
            wire();
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    Node node(String name) {
        return nodes.get(name);
    }

    String filesystem() {
        return tmpfs ? "tmpfs" : "ext4";
    }

    /** Probes in a namespace of its own: can this kernel make an ip6ip6 tunnel? */
    private boolean kernelHasIp6Tunnel() {
        try (NetnsSet probe = new NetnsSet()) {
            Netns ns = probe.create("rbprobe");
            return ns.exec("ip", "-6", "tunnel", "add", "probe0", "mode", "ip6ip6", "local", "fd70::1", "remote", "fd71::1")
                    .succeeded();
        }
    }

    private Path compileShim() throws IOException {
        Path src = workDir.resolve("ip6tnl-shim.c");
        try (InputStream in = RealBmx7Lab.class.getResourceAsStream("/bmx7/ip6tnl-shim.c")) {
            if (in == null) {
                throw new IOException("test resource bmx7/ip6tnl-shim.c missing");
            }
            Files.write(src, in.readAllBytes());
        }
        Path so = workDir.resolve("ip6tnl-shim.so");
        Processes.run("cc", "-shared", "-fPIC", "-O2", "-o", so.toString(), src.toString(), "-ldl").requireSuccess();
        return so;
    }

    private void wire() {
        Node a = node("A");
        Node b = node("B");
        Node c = node("C");
        Node d = node("D");
        Netns.veth(a.ns, "vA0", b.ns, "vB0");
        Netns.veth(b.ns, "vB1", c.ns, "vC0");
        Netns.veth(b.ns, "vB2", d.ns, "vD0");
        a.devs.add("vA0");
        b.devs.addAll(List.of("vB0", "vB1", "vB2"));
        c.devs.add("vC0");
        d.devs.add("vD0");
        // what the gateways serve: an address each in 10.99.0.0/16, and 10.99.0.1 on both (which gateway
        // A uses for the shared network is bmx7's rule: path metric, hysteresis); C alone offers
        // 2001:db8:99::/48
        c.ns.ip("addr", "add", "10.99.3.1/32", "dev", "lo");
        c.ns.ip("addr", "add", "10.99.0.1/32", "dev", "lo");
        c.ns.ip("-6", "addr", "add", "2001:db8:99::3/128", "dev", "lo");
        d.ns.ip("addr", "add", "10.99.4.1/32", "dev", "lo");
        d.ns.ip("addr", "add", "10.99.0.1/32", "dev", "lo");
    }

    /** Starts every bmx7 and waits until each knows all four nodes; the node ids are then known. */
    void startBmx7AndConverge(Duration timeout) throws Exception {
        for (Node n : nodes.values()) {
            n.startBmx7();
        }
        MeshLab.await("every bmx7 knows the four nodes", timeout, () -> {
            tendBmx7();
            return nodes.values().stream().allMatch(n -> n.originatorsKnown() == 4);
        });
        for (Node n : nodes.values()) {
            n.id = selfId(n);
        }
    }

    /** Where each node's bmx7 log was read up to by {@link #restartRefusedLinkKeys()}. */
    private final Map<Node, Integer> linkKeyLogRead = new java.util.HashMap<>();
    /** When each node's bmx7 was last restarted for its link key (System.nanoTime). */
    private final Map<Node, Long> linkKeyRestartedAt = new java.util.HashMap<>();
    /** Senders restarted for a refused key: a receiver that still refuses them has the bad key itself. */
    private final java.util.Set<String> renewedSenders = new java.util.HashSet<>();
    private static final long LINK_KEY_RESTART_COOLDOWN_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(8);
    private static final java.util.regex.Pattern DHM_REFUSED =
            java.util.regex.Pattern.compile("Failed dhmSecret calculation.*?nodeId=([0-9A-F]+)");

    /**
     * What an operator (or init system) would do for bmx7's own start-up defects, so a test measures
     * cryptun and not them: bmx7 that ended is started again ({@link Node#respawnIfEnded()}), and
     * bmx7 with a defective DH link key is restarted (it then makes a new key). bmx7 9020896 with
     * mbedTLS 2.x makes such a key about once in 100 starts: its key check (crypt.c, cryptDhmKeyCheck)
     * wants the private value, its own public value and the neighbour's public value each exactly the
     * key's length, so a leading zero byte in any of them fails every packet of that link with
     * "Failed dhmSecret calculation ... nodeId=SENDER" in the receiver's log, and the mesh never
     * converges. Which node's key is bad the line does not say: the sender's (its neighbours all
     * refuse it) or the receiver's own (it refuses all its neighbours; seen in RealBmx7MeshIT: the
     * named sender restarted and the receiver kept refusing it).
     */
    void tendBmx7() {
        try {
            for (Node n : nodes.values()) {
                n.respawnIfEnded();
            }
            restartRefusedLinkKeys();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void restartRefusedLinkKeys() throws IOException, InterruptedException {
        Map<Node, java.util.Set<String>> refusedBy = new java.util.HashMap<>();
        for (Node n : nodes.values()) {
            if (!Files.exists(n.bmx7Log)) {
                continue;
            }
            String log = Files.readString(n.bmx7Log);
            int from = linkKeyLogRead.getOrDefault(n, 0);
            java.util.regex.Matcher m = DHM_REFUSED.matcher(log.substring(Math.min(from, log.length())));
            while (m.find()) {
                refusedBy.computeIfAbsent(n, k -> new java.util.HashSet<>()).add(m.group(1));
            }
            linkKeyLogRead.put(n, log.length());
        }
        if (refusedBy.isEmpty()) {
            return;
        }
        java.util.Set<Node> restart = new java.util.LinkedHashSet<>();
        for (Map.Entry<Node, java.util.Set<String>> e : refusedBy.entrySet()) {
            Node receiver = e.getKey();
            boolean ownKeySuspect = e.getValue().size() >= 2
                    || e.getValue().stream().anyMatch(renewedSenders::contains);
            if (ownKeySuspect) {
                restart.add(receiver);
                continue;
            }
            for (Node n : nodes.values()) {
                String own = ownIdText(n);
                if (own != null && e.getValue().stream().anyMatch(r -> own.startsWith(r) || r.startsWith(own))) {
                    restart.add(n);
                    renewedSenders.addAll(e.getValue());
                }
            }
        }
        long now = System.nanoTime();
        for (Node n : restart) {
            Long last = linkKeyRestartedAt.get(n);
            if (last != null && now - last < LINK_KEY_RESTART_COOLDOWN_NANOS) {
                continue; // its neighbours' logs still hold failures from before its restart
            }
            System.out.println("bmx7 on " + n.name + " (" + ownIdText(n) + "): a DH link key of its links is refused"
                    + " (\"Failed dhmSecret calculation\", a bmx7/mbedTLS defect); restarted for a new key");
            linkKeyRestartedAt.put(n, now);
            n.respawns++;
            n.stopBmx7();
            n.startBmx7();
        }
    }

    /** The node id bmx7 reports in json/status, or null before it wrote one. */
    private static String ownIdText(Node n) {
        try {
            return selfId(n).toString().toUpperCase(java.util.Locale.ROOT);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static NodeId selfId(Node n) throws IOException {
        String status = Files.readString(n.runtimeDir.resolve("json/status"));
        int i = status.indexOf("\"nodeId\"");
        int q1 = status.indexOf('"', status.indexOf(':', i) + 1);
        return NodeId.parse(status.substring(q1 + 1, status.indexOf('"', q1 + 1)));
    }

    /** Every log of the lab, for a failure message. */
    String logs() {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> s = Files.list(workDir)) {
            s.filter(p -> p.toString().endsWith(".log")).sorted().forEach(p -> {
                try {
                    List<String> lines = Files.readAllLines(p);
                    sb.append("---- ").append(p.getFileName()).append(" (last 60 lines)\n");
                    lines.subList(Math.max(0, lines.size() - 60), lines.size()).forEach(l -> sb.append(l).append('\n'));
                } catch (IOException e) {
                    sb.append(e).append('\n');
                }
            });
        } catch (IOException e) {
            sb.append(e);
        }
        return sb.toString();
    }

    @Override
    public void close() {
        try {
            // the namespaces end every process spawned in them (by PID), bmx7 and cryptun alike
            namespaces.close();
        } finally {
            for (Node n : nodes.values()) {
                try {
                    Files.deleteIfExists(Endpoint.SOCKET_DIR.resolve(n.ifname + ".sock"));
                } catch (IOException e) {
                    // best effort
                }
            }
            String keep = System.getProperty("ctrb.keepLogs");
            if (keep != null) {
                // -Dctrb.keepLogs=DIR: the daemons' logs, for a look at a run that passed
                try (Stream<Path> s = Files.list(workDir)) {
                    Path to = Files.createDirectories(Path.of(keep, filesystem()));
                    for (Path p : s.filter(p -> p.toString().endsWith(".log")).toList()) {
                        Files.copy(p, to.resolve(p.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                } catch (IOException e) {
                    // best effort
                }
            }
            if (mounted) {
                Processes.run("umount", runBase.toString());
            }
            try (Stream<Path> s = Files.walk(workDir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // best effort
            }
        }
    }
}
