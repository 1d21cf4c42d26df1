package io.cryptun.testkit;

import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Skips tests that need root, namespaces or external tools on machines that lack them. Where the environment
 * says the tests must run ({@code CI=true}, or {@code -Dcryptun.netns.required=true}) a missing requirement
 * fails the test instead, so a broken CI machine cannot turn the namespace tests into silent skips.
 */
public final class NetnsAssumptions {

    private NetnsAssumptions() {
    }

    /** Skips (or, where required, fails) the current test unless {@link Netns#available()}. */
    public static void assumeNetns() {
        String reason = Netns.unavailableReason();
        require(reason == null, "network namespace tests unavailable: " + reason);
    }

    /** Skips (or, where required, fails) the current test unless {@code command} is on PATH; returns its path. */
    public static Path assumeCommand(String command) {
        Optional<Path> found = Processes.findOnPath(command);
        require(found.isPresent(), command + " not found on PATH");
        return found.orElseThrow();
    }

    /**
     * Namespaces, wg, wg-quick and wireguard-go, and no WireGuard kernel module: with the module
     * loaded wg-quick uses it and never asks a userspace implementation, so the test is skipped
     * then (even where required: the machine is fine, the test does not apply).
     */
    public static void assumeWgQuickRunsUserspace() {
        assumeNetns();
        assumeCommand("wg");
        assumeCommand("wg-quick");
        assumeCommand("wireguard-go");
        Assumptions.assumeFalse(java.nio.file.Files.exists(Path.of("/sys/module/wireguard")),
                "the WireGuard kernel module is loaded; wg-quick would not run a userspace implementation");
    }

    /** Whether missing requirements fail instead of skip. */
    public static boolean required() {
        return "true".equalsIgnoreCase(System.getenv("CI"))
                || Boolean.parseBoolean(System.getProperty("cryptun.netns.required"));
    }

    private static void require(boolean condition, String message) {
        if (required()) {
            Assertions.assertTrue(condition, message + " (required because CI=true or cryptun.netns.required)");
        } else {
            Assumptions.assumeTrue(condition, message);
        }
    }
}
