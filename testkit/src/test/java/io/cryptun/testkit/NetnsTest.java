package io.cryptun.testkit;

import static io.cryptun.testkit.NetnsAssumptions.assumeNetns;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.NetworkInterface;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("netns")
class NetnsTest {

    private static final String PREFIX = "cttun";

    @BeforeEach
    void requireNamespaces() {
        assumeNetns();
    }

    @Test
    void createsUniqueNamespaceWithLoopbackUpAndDeletesIt() {
        Netns a = Netns.create(PREFIX);
        Netns b = Netns.create(PREFIX);
        try {
            assertTrue(a.name().matches("cttun-[0-9a-f]{6}"), a.name());
            assertFalse(a.name().equals(b.name()));
            assertTrue(Files.exists(a.path()));
            assertTrue(namespaceListed(a.name()));
            String lo = a.exec("ip", "link", "show", "lo").requireSuccess().stdout();
            assertTrue(lo.contains("UP"), lo);
            a.exec("ping", "-c", "1", "-W", "2", "127.0.0.1").requireSuccess();
        } finally {
            a.close();
            b.close();
        }
        assertFalse(Files.exists(a.path()));
        assertFalse(namespaceListed(a.name()));
        assertFalse(namespaceListed(b.name()));
        a.close(); // idempotent
    }

    @Test
    void rejectsBadPrefix() {
        assertThrows(IllegalArgumentException.class, () -> Netns.create("Bad Prefix"));
        assertThrows(IllegalArgumentException.class, () -> Netns.create(""));
    }

    @Test
    void vethCarriesPingBothWaysOverIpv4AndIpv6() {
        try (NetnsSet set = new NetnsSet()) {
            Netns a = set.create(PREFIX);
            Netns b = set.create(PREFIX);
            Netns.veth(a, "ctva", b, "ctvb");
            a.addAddress("ctva", "198.18.0.1/24");
            b.addAddress("ctvb", "198.18.0.2/24");
            a.addAddress("ctva", "fd00:198:18::1/64");
            b.addAddress("ctvb", "fd00:198:18::2/64");
            a.exec("ping", "-c", "2", "-i", "0.2", "-W", "2", "198.18.0.2").requireSuccess();
            b.exec("ping", "-c", "2", "-i", "0.2", "-W", "2", "198.18.0.1").requireSuccess();
            a.exec("ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", "fd00:198:18::2").requireSuccess();
            // Not reachable from the root namespace: the address exists only inside.
            String rootAddrs = Processes.run("ip", "addr").requireSuccess().stdout();
            assertFalse(rootAddrs.contains("198.18.0.1"), rootAddrs);
        }
    }

    @Test
    void execReportsFailureAndTimesOut() {
        try (Netns ns = Netns.create(PREFIX)) {
            ExecResult r = ns.exec("sh", "-c", "echo hi; echo oops >&2; exit 4");
            assertEquals(4, r.exitCode());
            assertEquals("hi\n", r.stdout());
            assertEquals("oops\n", r.stderr());
            assertEquals(List.of("ip", "netns", "exec", ns.name(), "sh", "-c", "echo hi; echo oops >&2; exit 4"),
                    r.command());
            CommandFailedException e = assertThrows(CommandFailedException.class,
                    () -> ns.exec(Duration.ofMillis(500), "sleep", "30"));
            assertTrue(e.getMessage().contains("timed out"), e.getMessage());
        }
    }

    @Test
    void spawnedProcessesAndDescendantsDieOnCloseAndPidIsTheCommandsOwn(@TempDir Path tmp) throws Exception {
        Path log = tmp.resolve("spawn.log");
        Netns ns = Netns.create(PREFIX);
        List<Long> watched = new ArrayList<>();
        try {
            Process sleeper = ns.spawn(List.of("sleep", "300"), log);
            Process tree = ns.spawn(List.of("sh", "-c", "echo started; sleep 300 & sleep 300 & wait"), log);
            watched.add(sleeper.pid());
            watched.add(tree.pid());
            waitFor(() -> commOf(sleeper.pid()).equals("sleep"));
            assertEquals("sleep", commOf(sleeper.pid()), "ip netns exec should exec the command in place");
            waitFor(() -> Processes.descendantsOf(tree.pid()).size() == 2);
            List<Long> grandchildren = Processes.descendantsOf(tree.pid());
            assertEquals(2, grandchildren.size());
            watched.addAll(grandchildren);
            // A daemon that detached from us entirely is still found through the namespace.
            long detached = Long.parseLong(ns.exec("sh", "-c", "setsid sleep 300 >/dev/null 2>&1 < /dev/null & echo $!")
                    .requireSuccess().stdout().strip());
            watched.add(detached);
            assertTrue(ns.pids().contains(detached), "pids in namespace: " + ns.pids());
            assertTrue(Processes.running(detached));
        } finally {
            ns.close();
        }
        for (long pid : watched) {
            assertFalse(Processes.running(pid), "pid " + pid + " alive");
        }
        assertFalse(Files.exists(ns.path()));
        waitFor(() -> {
            try {
                return Files.readString(log).contains("started");
            } catch (java.io.IOException e) {
                return false;
            }
        });
        assertTrue(Files.readString(log).contains("started"));
        assertThrows(IllegalStateException.class, () -> ns.spawn(List.of("true"), null));
    }

    @Test
    void callInsideRunsJavaCodeInTheNamespace() throws Exception {
        try (Netns ns = Netns.create(PREFIX)) {
            Netns.veth(ns, "ctvin", ns, "ctvin2");
            // The JDK enumerates interfaces through SIOCGIFCONF, which lists only those with an IPv4 address.
            ns.addAddress("ctvin", "198.18.7.1/24");
            assertNull(NetworkInterface.getByName("ctvin"), "must not be visible from the root namespace");
            String seen = ns.callInside(() -> {
                NetworkInterface nif = NetworkInterface.getByName("ctvin");
                assertNotNull(nif);
                return nif.getName();
            });
            assertEquals("ctvin", seen);
            // The calling thread stays where it was.
            assertNull(NetworkInterface.getByName("ctvin"));
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> ns.runInside(() -> {
                        throw new IllegalStateException("from inside");
                    }));
            assertEquals("from inside", e.getMessage());
        }
    }

    @Test
    void netnsSetRemovesAllEvenWhenTheBodyThrows() {
        List<Netns> made = new ArrayList<>();
        assertThrows(IllegalStateException.class, () -> {
            try (NetnsSet set = new NetnsSet()) {
                made.add(set.create(PREFIX));
                made.add(set.create(PREFIX));
                throw new IllegalStateException("test body failed");
            }
        });
        assertEquals(2, made.size());
        for (Netns ns : made) {
            assertTrue(ns.isClosed());
            assertFalse(Files.exists(ns.path()), ns.name());
        }
    }

    private static boolean namespaceListed(String name) {
        for (String line : Processes.run("ip", "netns", "list").requireSuccess().stdout().split("\n")) {
            if (line.split(" ")[0].equals(name)) {
                return true;
            }
        }
        return false;
    }

    private static String commOf(long pid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/comm")).strip();
        } catch (java.io.IOException e) {
            return "";
        }
    }

    private static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        for (int i = 0; i < 500 && !condition.getAsBoolean(); i++) {
            Thread.sleep(10);
        }
    }
}
