package io.cryptun.cli.daemon;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.cli.it.CryptunEndpoint;
import io.cryptun.cli.it.TestKeys;
import io.cryptun.testkit.Netns;
import io.cryptun.testkit.NetnsAssumptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The start-up warm-up's part over loopback, in a namespace of the test's own: with loopback up a
 * daemon runs its packet path through a throwaway daemon pair; in a fresh namespace, where loopback
 * is down, it sends nothing over it and waits for nothing (it waited a second for datagrams that
 * could not come, and the interface's start paid it).
 */
@Tag("netns")
class WarmUpLoopbackIT {
    private static final Pattern WARM_UP = Pattern.compile("warm-up took \\d+ ms \\((.*)\\)");

    @Test
    void loopbackIsSeenDownOrUpInTheNamespaceItself() throws Exception {
        NetnsAssumptions.assumeNetns();
        try (Netns ns = Netns.create("ctwl")) {
            ns.ip("link", "set", "lo", "down").requireSuccess();
            assertFalse(ns.callInside(StartupWarmUp::loopbackUp), "lo is down in " + ns);
            assertTrue(ns.callInside(() -> StartupWarmUp.overLoopback(2, 50, "auto", false, new String[1])) == 0);
            ns.ip("link", "set", "lo", "up").requireSuccess();
            assertTrue(ns.callInside(StartupWarmUp::loopbackUp), "lo is up in " + ns);
        }
    }

    @Test
    void aDaemonWarmsThroughADaemonPairWhereLoopbackIsUpAndSkipsItWhereDown(@TempDir Path work) throws Exception {
        NetnsAssumptions.assumeNetns();
        for (boolean up : new boolean[] {true, false}) {
            try (Netns ns = Netns.create("ctwu")) {
                if (!up) {
                    ns.ip("link", "set", "lo", "down").requireSuccess();
                }
                String ifname = "ctwu" + (up ? "up" : "dn") + ns.name().substring(ns.name().length() - 4);
                CryptunEndpoint daemon = new CryptunEndpoint(ns, ifname, TestKeys.generate(), work);
                try (daemon) {
                    daemon.start(0, List.of(), List.of("100.64.0.1/24"));
                    String parts = warmUpParts(daemon.log());
                    if (up) {
                        assertTrue(parts.matches(".*over loopback \\d+ ms \\(\\d+ packets through a daemon pair\\).*"), parts);
                    } else {
                        assertTrue(parts.matches(".*over loopback \\d+ ms \\(skipped: loopback is down\\).*"), parts);
                    }
                }
            }
        }
    }

    /** The warm-up's log line, which the daemon writes before its UAPI socket appears. */
    private static String warmUpParts(Path log) throws Exception {
        for (String line : Files.readAllLines(log)) {
            Matcher m = WARM_UP.matcher(line);
            if (m.find()) {
                return m.group(1);
            }
        }
        throw new AssertionError("no warm-up line in " + log + ":\n" + Files.readString(log));
    }
}
