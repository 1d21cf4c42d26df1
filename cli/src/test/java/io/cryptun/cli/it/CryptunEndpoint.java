package io.cryptun.cli.it;

import io.cryptun.testkit.Netns;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** cryptun, started as `cryptun up IFNAME --config FILE` from the packaged jar. */
public final class CryptunEndpoint extends Endpoint {
    private Process process;
    private final List<String> extraArgs = new ArrayList<>();
    private final List<String> jvmOptions = new ArrayList<>();

    public CryptunEndpoint(Netns ns, String ifname, TestKeys keys, Path workDir) {
        super(ns, ifname, keys, workDir);
    }

    /** Adds command-line options for `cryptun up` (before start). */
    public CryptunEndpoint withArgs(String... args) {
        extraArgs.addAll(List.of(args));
        return this;
    }

    /** Adds JVM options (before start), e.g. the launcher's heap settings for a memory bound. */
    public CryptunEndpoint withJvmOptions(String... options) {
        jvmOptions.addAll(List.of(options));
        return this;
    }

    private final List<String> env = new ArrayList<>();
    private String java = java();

    /** Runs the daemon on this java binary instead of the test's own JVM (before start). */
    public CryptunEndpoint withJava(Path javaBinary) {
        java = javaBinary.toString();
        return this;
    }

    /** Sets an environment variable for the daemon (before start). */
    public CryptunEndpoint withEnv(String name, String value) {
        env.add(name + "=" + value);
        return this;
    }

    /** The memory settings the ./cryptun launcher runs a daemon with (LauncherIT checks the launcher's side). */
    public CryptunEndpoint withLauncherJvmOptions() {
        withEnv("MALLOC_ARENA_MAX", "1");
        withJvmOptions("-XX:+IgnoreUnrecognizedVMOptions", "-XX:+UseSerialGC", "-Xms8m", "-XX:NewSize=4m", "-Xmx256m",
                "-XX:MaxMetaspaceSize=64m", "-Xss512k", "-XX:TrimNativeHeapInterval=5000",
                "-XX:-TieredCompilation", "-Xshare:off", "-XX:-UsePerfData", "-XX:+UnlockDiagnosticVMOptions",
                "-XX:AsyncDeflationInterval=10000", "-XX:GuaranteedSafepointInterval=0",
                "-XX:ServiceThreadCleanupInterval=10000");
        return Runtime.version().feature() >= 25 ? withJvmOptions("-XX:+UseCompactObjectHeaders") : this;
    }

    public Path log() {
        return workDir.resolve(ifname + ".log");
    }

    public static Path jar() {
        String jar = System.getProperty("cryptun.jar");
        if (jar == null) {
            throw new IllegalStateException("system property cryptun.jar is not set (run through mvn verify)");
        }
        return Path.of(jar);
    }

    public static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    @Override
    public String kind() {
        return "cryptun";
    }

    @Override
    public void start(int listenPort, List<PeerSpec> peers, List<String> addresses) throws Exception {
        StringBuilder conf = new StringBuilder();
        conf.append("[Interface]\nPrivateKey = ").append(keys.privateKey()).append('\n');
        conf.append("ListenPort = ").append(listenPort).append('\n');
        for (String a : addresses) {
            conf.append("Address = ").append(a).append('\n');
        }
        for (PeerSpec p : peers) {
            conf.append("\n[Peer]\nPublicKey = ").append(p.publicKey()).append('\n');
            if (p.psk() != null) {
                conf.append("PresharedKey = ").append(p.psk()).append('\n');
            }
            if (p.endpoint() != null) {
                conf.append("Endpoint = ").append(p.endpoint()).append('\n');
            }
            conf.append("AllowedIPs = ").append(String.join(", ", p.allowedIps())).append('\n');
            if (p.keepalive() > 0) {
                conf.append("PersistentKeepalive = ").append(p.keepalive()).append('\n');
            }
        }
        Path config = writeSecret(ifname + ".conf", conf.toString());
        Path log = workDir.resolve(ifname + ".log");
        List<String> cmd = new ArrayList<>(List.of("env", "LOG_LEVEL=verbose"));
        cmd.addAll(env);
        cmd.add(java);
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-jar", jar().toString(), "up", ifname, "--config", config.toString()));
        cmd.addAll(extraArgs);
        process = ns.spawn(cmd, log);
        awaitSocket(process, log);
    }

    public Process process() {
        return process;
    }
}
