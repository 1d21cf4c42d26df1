package io.cryptun.cli.it;

import io.cryptun.testkit.ExecResult;
import io.cryptun.testkit.Netns;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One side of a test tunnel: a WireGuard implementation (cryptun or wireguard-go) running an
 * interface inside a namespace the test made. Configured with the same settings either way.
 */
public abstract class Endpoint implements AutoCloseable {
    public static final Path SOCKET_DIR = Path.of("/var/run/wireguard");

    protected final Netns ns;
    protected final String ifname;
    protected final TestKeys keys;
    protected final Path workDir;

    /** The settings for one peer of this interface. */
    public record PeerSpec(String publicKey, String psk, String endpoint, List<String> allowedIps, int keepalive) {
    }

    protected Endpoint(Netns ns, String ifname, TestKeys keys, Path workDir) {
        this.ns = ns;
        this.ifname = ifname;
        this.keys = keys;
        this.workDir = workDir;
    }

    public abstract String kind();

    /** Starts the interface with these settings and addresses (CIDR, host address kept). */
    public abstract void start(int listenPort, List<PeerSpec> peers, List<String> addresses) throws Exception;

    public Netns ns() {
        return ns;
    }

    public String ifname() {
        return ifname;
    }

    public TestKeys keys() {
        return keys;
    }

    /** `wg show IFNAME dump`, run inside the namespace through the interface's UAPI socket. */
    public ExecResult wgDump() {
        return ns.exec("wg", "show", ifname, "dump");
    }

    /** Unix time of the last handshake with the peer, from wg's dump (0 if none). */
    public long latestHandshake(String peerPublicKey) {
        for (String line : wgDump().requireSuccess().stdout().split("\n")) {
            String[] f = line.split("\t");
            if (f.length >= 8 && f[0].equals(peerPublicKey)) {
                return Long.parseLong(f[4]);
            }
        }
        return -1;
    }

    public String endpointOf(String peerPublicKey) {
        for (String line : wgDump().requireSuccess().stdout().split("\n")) {
            String[] f = line.split("\t");
            if (f.length >= 8 && f[0].equals(peerPublicKey)) {
                return f[2];
            }
        }
        return null;
    }

    protected Path writeSecret(String name, String content) throws IOException {
        Path p = workDir.resolve(name);
        Files.writeString(p, content);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        return p;
    }

    protected void awaitSocket(Process process, Path log) throws Exception {
        Path sock = SOCKET_DIR.resolve(ifname + ".sock");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!Files.exists(sock)) {
            if (!process.isAlive()) {
                throw new IllegalStateException(kind() + " " + ifname + " exited early: " + Files.readString(log));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(kind() + " " + ifname + " did not create " + sock + ": " + Files.readString(log));
            }
            Thread.sleep(50);
        }
    }

    protected void addAddresses(List<String> addresses) {
        for (String a : addresses) {
            List<String> cmd = new ArrayList<>(List.of("ip", "address", "add", a, "dev", ifname));
            if (a.contains(":")) {
                cmd.add("nodad");
            }
            ns.exec(cmd.toArray(new String[0])).requireSuccess();
        }
        ns.exec("ip", "link", "set", "dev", ifname, "up").requireSuccess();
    }

    @Override
    public void close() {
        // the namespace owner kills the process; a socket left behind by a killed daemon goes here
        try {
            Files.deleteIfExists(SOCKET_DIR.resolve(ifname + ".sock"));
        } catch (IOException e) {
            // best effort
        }
    }
}
