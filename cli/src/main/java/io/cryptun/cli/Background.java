package io.cryptun.cli;

import io.cryptun.cli.process.Readiness;
import io.cryptun.cli.process.SdNotify;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * `cryptun IFNAME` without -f: starts the same program again in the foreground (which leaves the
 * caller's session and, once ready, the caller's stdout and stderr) and returns only when that
 * child says its own UAPI socket accepts connections, as wireguard-go returns with its socket
 * listening. So the next command (wg setconf, in wg-quick) reaches this interface and no other:
 * not a socket file left by a killed daemon, nor one another namespace's daemon owns. When the
 * child fails, its message has gone to our stderr and its exit status is ours.
 */
final class Background {
    private static final long START_TIMEOUT_SECONDS = 60;

    private Background() {
    }

    static int start(String ifname, String crypto, String metrics) throws Exception {
        List<String> cmd = new ArrayList<>();
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
        pb.environment().put(Readiness.PARENT_ENV, "1");
        // the child is not the process a Type=notify unit started; its readiness is ours to say
        pb.environment().remove(SdNotify.ENV);
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.redirectOutput(ProcessBuilder.Redirect.PIPE);
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process child = pb.start();
        CompletableFuture<Boolean> ready = CompletableFuture.supplyAsync(() -> awaitMarker(child));
        boolean isReady;
        try {
            isReady = ready.get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            child.destroy();
            System.err.println("cryptun: " + ifname + " did not come up within " + START_TIMEOUT_SECONDS + " seconds");
            return 1;
        }
        if (isReady) {
            return 0;
        }
        // the pipe closed without the marker: the child ended, having printed its one-line reason
        int status = child.waitFor();
        return status == 0 ? 1 : status;
    }

    /** Reads the child's stdout until the readiness line (true) or its end (false); anything else is passed on. */
    private static boolean awaitMarker(Process child) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.equals(Readiness.MARKER)) {
                    return true;
                }
                System.out.println(line);
            }
            return false;
        } catch (IOException e) {
            return false;
        }
    }
}
