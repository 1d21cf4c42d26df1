package io.cryptun.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs iproute2's {@code ip}, as wg-quick does, for addresses, MTU and link state. */
public final class IpCommand {
    private IpCommand() {
    }

    /** Runs {@code ip ARGS...}; throws a UserException carrying ip's own error line on failure. */
    public static void run(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("ip");
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new UserException(String.join(" ", cmd) + ": timed out");
            }
            if (p.exitValue() != 0) {
                throw new UserException(String.join(" ", cmd) + ": " + new String(out, StandardCharsets.UTF_8).trim());
            }
        } catch (IOException e) {
            throw new UserException("cannot run ip (install iproute2): " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserException(String.join(" ", cmd) + ": interrupted");
        }
    }
}
