package io.cryptun.cli.demo;

import io.cryptun.cli.process.ExternalCommand.Outcome;
import io.cryptun.noise.crypto.Keys;
import io.cryptun.noise.crypto.X25519Keys;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The newcomer's first run: two network namespaces with cryptun on both sides (and a third with
 * wireguard-go when it is installed), a ping through each tunnel, a report, and the removal of
 * everything it made (namespaces by exact name, processes by PID), also when interrupted.
 */
public final class Demo {
    private final PrintStream out;
    private final String java;
    private final String jar;
    private final String tag = Long.toString(System.nanoTime() & 0xffffff, 36);
    private final List<String> namespaces = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();
    private final List<Path> sockets = new ArrayList<>();
    private Path work;
    private final SecureRandom random = new SecureRandom();

    public Demo(PrintStream out, String java, String jar) {
        this.out = out;
        this.java = java;
        this.jar = jar;
    }

    /** Returns 0 when every ping went through. */
    public int run() throws Exception {
        Thread cleanupHook = new Thread(this::cleanup, "cryptun-demo-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanupHook);
        try {
            return demo();
        } finally {
            cleanup();
            try {
                Runtime.getRuntime().removeShutdownHook(cleanupHook);
            } catch (IllegalStateException e) {
                // already shutting down: the hook runs cleanup, which is idempotent
            }
        }
    }

    private int demo() throws Exception {
        for (String tool : new String[] {"ip", "ping"}) {
            if (!Sh.onPath(tool)) {
                throw new IllegalStateException("the demo needs '" + tool + "' (apt-get install iproute2 iputils-ping)");
            }
        }
        work = Files.createTempDirectory("cryptun-demo-", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        boolean withWgGo = Sh.onPath("wireguard-go") && Sh.onPath("wg");
        String a = ns("a");
        String b = ns("b");
        out.println("cryptun demo: namespaces " + a + " and " + b + " joined by a veth pair (198.18.0.1 <-> 198.18.0.2)");
        veth(a, "ua", "198.18.0.1/24", b, "ub", "198.18.0.2/24");

        byte[][] ka = keypair();
        byte[][] kb = keypair();
        byte[][] kc = keypair();
        String ifA = "cta" + tag;
        String ifB = "ctb" + tag;
        String ifC = "wgc" + tag;
        String peerA = "[Peer]\nPublicKey = " + Keys.toBase64(ka[1]) + "\nAllowedIPs = 100.64.0.1/32\n";
        String peerC = "[Peer]\nPublicKey = " + Keys.toBase64(kc[1]) + "\nAllowedIPs = 100.64.1.3/32\n";
        startCryptun(b, ifB, kb[0], 51821, List.of("100.64.0.2/24", "100.64.1.2/24"),
                peerA + (withWgGo ? "\n" + peerC : ""));
        startCryptun(a, ifA, ka[0], 51820, List.of("100.64.0.1/24"),
                "[Peer]\nPublicKey = " + Keys.toBase64(kb[1]) + "\nEndpoint = 198.18.0.2:51821\nAllowedIPs = 100.64.0.0/24\n");
        out.println("cryptun is running in both (" + ifA + " = 100.64.0.1, " + ifB + " = 100.64.0.2)");
        boolean ok = ping(a, "100.64.0.2", "cryptun " + ifA + " -> cryptun " + ifB);
        ok &= ping(b, "100.64.0.1", "cryptun " + ifB + " -> cryptun " + ifA);

        if (withWgGo) {
            String c = ns("c");
            out.println("wireguard-go is installed: namespace " + c + " runs it, peered with " + ifB
                    + " (198.18.1.3 <-> 198.18.1.2)");
            veth(c, "uc", "198.18.1.3/24", b, "ub2", "198.18.1.2/24");
            startWireguardGo(c, ifC, kc[0], kb[1]);
            ok &= ping(c, "100.64.1.2", "wireguard-go " + ifC + " -> cryptun " + ifB);
            ok &= ping(b, "100.64.1.3", "cryptun " + ifB + " -> wireguard-go " + ifC);
        } else {
            out.println("(wireguard-go is not installed: apt-get install wireguard-go wireguard-tools adds an interop leg)");
        }
        out.println();
        out.println("what " + ifB + " saw (cryptun show):");
        Outcome show = Sh.run(null, java, "-jar", jar, "show", ifB);
        out.println(show.output().stripTrailing().indent(2).stripTrailing());
        out.println();
        out.println(ok ? "all pings went through the tunnels." : "SOME PINGS FAILED; logs:\n" + logs());
        return ok ? 0 : 1;
    }

    private String ns(String role) {
        String name = "cryptun-demo-" + role + "-" + tag;
        Sh.must(null, "ip", "netns", "add", name);
        namespaces.add(name);
        Sh.must(name, "ip", "link", "set", "lo", "up");
        return name;
    }

    private void veth(String nsA, String ifA, String addrA, String nsB, String ifB, String addrB) {
        Sh.must(null, "ip", "link", "add", ifA, "netns", nsA, "type", "veth", "peer", "name", ifB, "netns", nsB);
        Sh.must(nsA, "ip", "address", "add", addrA, "dev", ifA);
        Sh.must(nsB, "ip", "address", "add", addrB, "dev", ifB);
        Sh.must(nsA, "ip", "link", "set", ifA, "up");
        Sh.must(nsB, "ip", "link", "set", ifB, "up");
    }

    private byte[][] keypair() {
        byte[] priv = X25519Keys.generatePrivate(random);
        return new byte[][] {priv, X25519Keys.publicFromPrivate(priv)};
    }

    private void startCryptun(String ns, String ifname, byte[] priv, int port, List<String> addresses, String peers)
            throws Exception {
        StringBuilder conf = new StringBuilder("[Interface]\nPrivateKey = " + Keys.toBase64(priv)
                + "\nListenPort = " + port + "\n");
        for (String addr : addresses) {
            conf.append("Address = ").append(addr).append('\n');
        }
        conf.append('\n').append(peers);
        Path cfg = work.resolve(ifname + ".conf");
        Files.writeString(cfg, conf);
        Files.setPosixFilePermissions(cfg, PosixFilePermissions.fromString("rw-------"));
        processes.add(Sh.spawn(ns, work.resolve(ifname + ".log"), java, "-jar", jar, "up", ifname, "--config", cfg.toString()));
        awaitSocket(ifname);
    }

    private void startWireguardGo(String ns, String ifname, byte[] priv, byte[] peerPub) throws Exception {
        processes.add(Sh.spawn(ns, work.resolve(ifname + ".log"), "wireguard-go", "-f", ifname));
        awaitSocket(ifname);
        Path key = work.resolve(ifname + ".key");
        Files.writeString(key, Keys.toBase64(priv) + "\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        Sh.must(ns, "wg", "set", ifname, "listen-port", "51823", "private-key", key.toString(),
                "peer", Keys.toBase64(peerPub), "endpoint", "198.18.1.2:51821", "allowed-ips", "100.64.1.0/24");
        Sh.must(ns, "ip", "address", "add", "100.64.1.3/24", "dev", ifname);
        Sh.must(ns, "ip", "link", "set", ifname, "up");
    }

    private void awaitSocket(String ifname) throws Exception {
        Path sock = Path.of("/var/run/wireguard", ifname + ".sock");
        sockets.add(sock);
        for (int i = 0; i < 300; i++) {
            if (Files.exists(sock)) {
                return;
            }
            for (Process p : processes) {
                if (!p.isAlive()) {
                    throw new IllegalStateException(ifname + " did not start:\n" + logs());
                }
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException(ifname + " did not create its socket in 15 s:\n" + logs());
    }

    private boolean ping(String ns, String to, String what) {
        Outcome r = Sh.run(ns, "ping", "-n", "-c", "3", "-i", "0.2", "-W", "3", to);
        String summary = r.output().lines().filter(l -> l.contains("packets transmitted") || l.startsWith("rtt"))
                .reduce((x, y) -> x + "; " + y).orElse(r.output().trim());
        out.println((r.ok() ? "  ok   " : "  FAIL ") + what + ": " + summary);
        return r.ok();
    }

    private String logs() {
        StringBuilder sb = new StringBuilder();
        if (work == null) {
            return "";
        }
        try (Stream<Path> s = Files.list(work)) {
            s.filter(p -> p.toString().endsWith(".log")).sorted().forEach(p -> {
                try {
                    sb.append("--- ").append(p.getFileName()).append('\n').append(Files.readString(p));
                } catch (IOException e) {
                    sb.append(e).append('\n');
                }
            });
        } catch (IOException e) {
            sb.append(e);
        }
        return sb.toString();
    }

    private synchronized void cleanup() {
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            try {
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(2, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
            }
        }
        processes.clear();
        for (String ns : namespaces) {
            Sh.run(null, "ip", "netns", "del", ns);
        }
        if (!namespaces.isEmpty()) {
            out.println("removed namespaces " + String.join(", ", namespaces) + " and everything in them");
        }
        namespaces.clear();
        for (Path s : sockets) {
            try {
                Files.deleteIfExists(s);
            } catch (IOException e) {
                // best effort
            }
        }
        sockets.clear();
        if (work != null) {
            try (Stream<Path> s = Files.walk(work)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // best effort
            }
            work = null;
        }
    }
}
