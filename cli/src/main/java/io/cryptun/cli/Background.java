package io.cryptun.cli;

import io.cryptun.cli.uapi.UapiServer;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * `cryptun IFNAME` without -f: starts the same program again in the foreground in a new session
 * (so it survives the caller), and returns once its UAPI socket exists, as wireguard-go does, so
 * that the next command (wg setconf, in wg-quick) finds the interface ready.
 */
final class Background {
    private static final long START_TIMEOUT_SECONDS = 30;

    private Background() {
    }

    static int start(String ifname, String crypto, String metrics) throws Exception {
        Path sock = UapiServer.socketPath(UapiServer.DEFAULT_DIR, ifname);
        List<String> cmd = new ArrayList<>();
        if (new File("/usr/bin/setsid").canExecute()) {
            cmd.add("/usr/bin/setsid");
        }
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        List<String> jvmArgs = ManagementFactory.getRuntimeMXBean().getInputArguments();
        cmd.addAll(jvmArgs);
        if (Runtime.version().feature() >= 22 && jvmArgs.stream().noneMatch(a -> a.startsWith("--enable-native-access"))) {
            // started with -jar, the manifest granted this; with -cp it must be said
            cmd.add("--enable-native-access=ALL-UNNAMED");
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.add("--foreground");
        cmd.add("--crypto=" + crypto);
        if (metrics != null) {
            cmd.add("--metrics=" + metrics);
        }
        cmd.add(ifname);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("WG_PROCESS_FOREGROUND", "1");
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.redirectOutput(ProcessBuilder.Redirect.INHERIT);
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process child = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_SECONDS);
        while (System.nanoTime() < deadline) {
            if (!child.isAlive()) {
                // it printed its own one-line reason
                return child.exitValue() == 0 ? 1 : child.exitValue();
            }
            if (Files.exists(sock)) {
                return 0;
            }
            Thread.sleep(20);
        }
        child.destroy();
        System.err.println("cryptun: " + ifname + " did not come up within " + START_TIMEOUT_SECONDS + " seconds");
        return 1;
    }
}
