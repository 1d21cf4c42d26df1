package io.cryptun.cli.it;

import io.cryptun.testkit.ExecResult;
import io.cryptun.testkit.Netns;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A userspace WireGuard started the way wg-quick starts one, {@code IMPL -f IFNAME}, in a
 * namespace the test made, with nothing configured: either Debian's wireguard-go or cryptun from
 * the packaged jar. Closing it deletes its socket (which stops either daemon); the namespace's
 * owner kills what is left by PID.
 */
public final class UserspaceDaemon implements AutoCloseable {
    public enum Kind {
        WIREGUARD_GO, CRYPTUN
    }

    private final Kind kind;
    private final Netns ns;
    private final String ifname;
    private final Path log;
    private final Process process;

    private UserspaceDaemon(Kind kind, Netns ns, String ifname, Path log, Process process) {
        this.kind = kind;
        this.ns = ns;
        this.ifname = ifname;
        this.log = log;
        this.process = process;
    }

    public static UserspaceDaemon start(Kind kind, Netns ns, String ifname, Path workDir) throws Exception {
        Path log = workDir.resolve(ifname + ".log");
        List<String> cmd = kind == Kind.WIREGUARD_GO
                ? List.of("wireguard-go", "-f", ifname)
                : List.of("env", "LOG_LEVEL=verbose", CryptunEndpoint.java(), "-jar", CryptunEndpoint.jar().toString(),
                        "-f", ifname);
        Process p = ns.spawn(cmd, log);
        UserspaceDaemon d = new UserspaceDaemon(kind, ns, ifname, log, p);
        d.awaitSocket();
        return d;
    }

    private void awaitSocket() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!Files.exists(socket())) {
            if (!process.isAlive()) {
                throw new IllegalStateException(kind + " " + ifname + " exited early: " + logText());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(kind + " " + ifname + " did not create its socket: " + logText());
            }
            Thread.sleep(50);
        }
    }

    public Kind kind() {
        return kind;
    }

    public Netns ns() {
        return ns;
    }

    public String ifname() {
        return ifname;
    }

    public Process process() {
        return process;
    }

    public Path socket() {
        return Endpoint.SOCKET_DIR.resolve(ifname + ".sock");
    }

    public String logText() {
        try {
            return Files.exists(log) ? Files.readString(log) : "(no log)";
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** Runs wg inside the namespace with IF standing for this interface's name. */
    public ExecResult wg(String... args) {
        // IF stands for this interface
        String[] argv = new String[args.length + 1];
        argv[0] = "wg";
        for (int i = 0; i < args.length; i++) {
            argv[i + 1] = args[i].equals("IF") ? ifname : args[i];
        }
        return ns.exec(argv);
    }

    /**
     * Turns IPv6 off on the interface before it goes up, so the kernel sends no router
     * solicitations or MLD reports into the tunnel, and sets it up.
     */
    public void upWithoutIpv6() {
        ns.exec("sysctl", "-q", "-w", "net.ipv6.conf." + ifname + ".disable_ipv6=1");
        ns.exec("ip", "link", "set", "dev", ifname, "up").requireSuccess();
    }

    @Override
    public void close() {
        try {
            Files.deleteIfExists(socket());
        } catch (IOException e) {
            // the namespace owner kills the process anyway
        }
    }
}
