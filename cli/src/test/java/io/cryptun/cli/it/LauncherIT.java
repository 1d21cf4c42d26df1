package io.cryptun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The launcher ./cryptun (installed as /usr/bin/cryptun): which JVM options each kind of command gets.
 * A stand-in `java` records its command line instead of running anything.
 */
class LauncherIT {

    private static final List<String> DAEMON_MEMORY_OPTIONS = List.of("-XX:-TieredCompilation", "-Xshare:off",
            // an idle daemon's JVM does not wake up for its own periodic work
            "-XX:-UsePerfData", "-XX:AsyncDeflationInterval=10000", "-XX:GuaranteedSafepointInterval=0");

    /** The launcher tells the JVM not to write a core file (with the heap, and so the keys) when it crashes. */
    @Test
    void theLauncherTurnsOffCoreFiles() throws Exception {
        List<String> run = javaCommandLine("-f", "wg0");
        assertTrue(run.contains("-XX:-CreateCoredumpOnCrash"), run.toString());
        assertEquals(List.of("-jar", "/dev/null", "-f", "wg0"), run.subList(run.size() - 4, run.size()), run.toString());
    }

    /** Daemons get the small-footprint JIT and class settings; one-shot commands the fast-starting defaults. */
    @Test
    void daemonsRunWithTheMemoryOptionsAndOneShotCommandsWithout() throws Exception {
        for (String[] daemon : List.of(new String[] {"wg0"}, new String[] {"-f", "wg0"},
                new String[] {"up", "wg0", "--config", "/etc/wireguard/wg0.conf"}, new String[] {"mesh", "ct0"},
                new String[] {"demo"})) {
            List<String> run = javaCommandLine(daemon);
            assertTrue(run.containsAll(DAEMON_MEMORY_OPTIONS), Arrays.toString(daemon) + ": " + run);
            assertTrue(run.indexOf("-XX:-TieredCompilation") < run.indexOf("-jar"), run.toString());
        }
        for (String oneShot : List.of("genkey", "pubkey", "genpsk", "show", "help", "--help", "-h", "--version", "-V")) {
            List<String> run = javaCommandLine(oneShot);
            for (String option : DAEMON_MEMORY_OPTIONS) {
                assertFalse(run.contains(option), oneShot + ": " + run);
            }
            assertEquals(oneShot, run.get(run.size() - 1), run.toString());
        }
    }

    /**
     * A mesh node loads its classes from an archive of its own in CRYPTUN_CACHE_DIR (on JDK 19 and
     * later): it starts together with its neighbours after a power cut. Other daemons do not.
     */
    @Test
    void aMeshNodeKeepsAClassArchiveOfItsOwn() throws Exception {
        Path cache = Files.createTempDirectory("ctlauncher-cache");
        try {
            List<String> mesh = javaCommandLine(25, cache, "mesh", "ct0");
            assertTrue(mesh.contains("-XX:SharedArchiveFile=" + cache.resolve("mesh-jdk25.jsa")), mesh.toString());
            assertTrue(mesh.contains("-XX:+AutoCreateSharedArchive") && !mesh.contains("-Xshare:off"), mesh.toString());
            List<String> up = javaCommandLine(25, cache, "up", "wg0", "--config", "/etc/wireguard/wg0.conf");
            assertTrue(up.contains("-Xshare:off") && up.stream().noneMatch(a -> a.startsWith("-XX:SharedArchiveFile")), up.toString());
            List<String> old = javaCommandLine(17, cache, "mesh", "ct0");
            assertTrue(old.contains("-Xshare:off"), "JDK 17 cannot create the archive by itself: " + old);
        } finally {
            try (var s = Files.walk(cache)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** Runs the launcher with a stand-in java and returns the arguments it passed to java. */
    private static List<String> javaCommandLine(String... args) throws Exception {
        return javaCommandLine(0, null, args);
    }

    /** As above, with a stand-in of JDK {@code major} (0: one that does not say) and that cache directory. */
    private static List<String> javaCommandLine(int major, Path cache, String... args) throws Exception {
        Path dir = Files.createTempDirectory("ctlauncher");
        try {
            Path recorded = dir.resolve("args");
            Path fakeJava = dir.resolve("java");
            String version = major == 0 ? "" : "if [ \"$1\" = -XshowSettings:properties ]; then echo '    java.specification.version = "
                    + major + "' >&2; exit 0; fi\n";
            Files.writeString(fakeJava, "#!/bin/sh\n" + version + "for a in \"$@\"; do printf '%s\\n' \"$a\"; done > '"
                    + recorded + "'\n");
            Files.setPosixFilePermissions(fakeJava, PosixFilePermissions.fromString("rwx------"));
            ProcessBuilder pb = new ProcessBuilder();
            pb.command().addAll(List.of("sh", launcher().toString()));
            pb.command().addAll(Arrays.asList(args));
            if (cache != null) {
                pb.environment().put("CRYPTUN_CACHE_DIR", cache.toString());
            }
            pb.environment().put("CRYPTUN_JAVA", fakeJava.toString());
            pb.environment().put("CRYPTUN_JAR", "/dev/null");
            pb.redirectErrorStream(true);
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("the launcher did not finish: " + out);
            }
            assertEquals(0, p.exitValue(), out);
            return Files.readAllLines(recorded);
        } finally {
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** ./cryptun beside the parent pom, found from the packaged jar. */
    private static Path launcher() {
        Path root = CryptunEndpoint.jar().toAbsolutePath();
        while (root != null && !Files.isRegularFile(root.resolve("cryptun"))) {
            root = root.getParent();
        }
        assertTrue(root != null, "the launcher ./cryptun beside the parent pom");
        return root.resolve("cryptun");
    }
}
