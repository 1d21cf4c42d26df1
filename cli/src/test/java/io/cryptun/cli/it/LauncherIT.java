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
import java.util.Map;
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
            // a young generation of 4 MB from the start: the warm-up touches all of it, and the first
            // packets find no fresh pages (benchmarks/README.md, cold start, ninth session)
            assertTrue(run.containsAll(List.of("-XX:+UseSerialGC", "-Xms8m", "-XX:NewSize=4m")), run.toString());
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
            assertTrue(up.stream().noneMatch(a -> a.startsWith("-XX:SharedArchiveFile")), up.toString());
            List<String> up17 = javaCommandLine(17, cache, "up", "wg0", "--config", "/etc/wireguard/wg0.conf");
            assertTrue(up17.contains("-Xshare:off"), up17.toString());
            List<String> old = javaCommandLine(17, cache, "mesh", "ct0");
            assertTrue(old.contains("-Xshare:off"), "JDK 17 cannot create the archive by itself: " + old);
        } finally {
            try (var s = Files.walk(cache)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /**
     * An interface daemon on JDK 25 and later starts from the JDK's ahead-of-time cache, recorded by
     * `cryptun train` in CRYPTUN_CACHE_DIR with the daemon's own JVM options (the JVM refuses a cache
     * made with others; the options are in its name), and only for the jar it was made for: another
     * jar starts without it and records its own in the background. JDK 17 has none.
     */
    @Test
    void anInterfaceDaemonOnJdk25StartsFromItsAheadOfTimeCache() throws Exception {
        Path cache = Files.createTempDirectory("ctlauncher-aot");
        Path java25 = Files.createTempDirectory("ctlauncher-java25");
        Path jar = Path.of("/dev/null");
        try {
            List<String> train = javaCommandLine(25, cache, jar, java25, "train");
            String output = train.stream().filter(a -> a.startsWith("-XX:AOTCacheOutput=")).findFirst().orElse(null);
            assertTrue(output != null, "the training run records a cache: " + train);
            assertTrue(train.contains("-XX:+UseCompactObjectHeaders"), "the training run has the daemon's object layout: " + train);
            List<Path> caches;
            try (var s = Files.list(cache)) {
                caches = s.filter(f -> f.getFileName().toString().matches("daemon-jdk25-[0-9]+\\.aot")).toList();
            }
            assertEquals(1, caches.size(), "one cache, named for the JDK and the jar: " + caches);
            for (String[] daemon : List.of(new String[] {"-f", "wg0"}, new String[] {"up", "wg0", "--config", "/etc/wireguard/wg0.conf"})) {
                List<String> run = javaCommandLine(25, cache, jar, java25, daemon);
                assertTrue(run.contains("-XX:AOTCache=" + caches.get(0)), Arrays.toString(daemon) + ": " + run);
                assertEquals(jitOptions(train), jitOptions(run), "the training run has the daemon's JIT");
                assertFalse(run.contains("-Xshare:off"), "the cache needs class sharing on: " + run);
            }
            List<String> otherJar = javaCommandLine(25, cache, Path.of("/dev/zero"), java25, "-f", "wg0");
            assertTrue(otherJar.stream().noneMatch(a -> a.startsWith("-XX:AOTCache=")), "another jar, not this cache: " + otherJar);
            List<String> jdk17 = javaCommandLine(17, cache, "-f", "wg0");
            assertTrue(jdk17.stream().noneMatch(a -> a.startsWith("-XX:AOTCache")), jdk17.toString());
            for (String oneShot : List.of("genkey", "show", "--version")) {
                assertTrue(javaCommandLine(25, cache, jar, java25, oneShot).stream().noneMatch(a -> a.startsWith("-XX:AOTCache")), oneShot);
            }
            // the JVM options are in the cache's name: a cache made under others is not used, and the
            // directory keeps the newest only
            Map<String, String> options = Map.of("CRYPTUN_JAVA_OPTS", "-Dcryptun.warmup=10");
            javaCommandLine(options, 25, cache, jar, java25, "train");
            String withOptions = aotCache(javaCommandLine(options, 25, cache, jar, java25, "-f", "wg0"));
            assertTrue(withOptions.startsWith("-XX:AOTCache=") && !withOptions.equals("-XX:AOTCache=" + caches.get(0)),
                    "one cache per set of options: " + withOptions + " / " + caches.get(0));
            assertEquals("none", aotCache(javaCommandLine(25, cache, jar, java25, "-f", "wg0")));
        } finally {
            for (Path d : List.of(cache, java25)) {
                try (var s = Files.walk(d)) {
                    s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
        }
    }

    /**
     * A cache the JVM cannot start from with the daemon's options (-Xmn8m leaves the old generation
     * too small for its archived objects: the JVM refuses to start, "Unable to use AOT cache") is not
     * kept: `cryptun train` says so and fails, and a marker keeps daemons from training again for those
     * options (they start without a cache). Runs the real JDK 25 where it is installed.
     */
    @Test
    void aCacheTheJvmCannotStartFromIsNotKept() throws Exception {
        Path realJava = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(realJava), "no Temurin 25 here for the real cache");
        Path realCache = Files.createTempDirectory("ctlauncher-aotreal");
        try {
            ProcessBuilder pb = new ProcessBuilder("sh", launcher().toString(), "train");
            pb.environment().put("CRYPTUN_CACHE_DIR", realCache.toString());
            pb.environment().put("CRYPTUN_JAVA", realJava.toString());
            pb.environment().put("CRYPTUN_JAR", CryptunEndpoint.jar().toAbsolutePath().toString());
            pb.environment().put("CRYPTUN_JAVA_OPTS", "-Xmn8m");
            pb.redirectErrorStream(true);
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), out);
            assertEquals(1, p.exitValue(), out);
            assertTrue(out.contains("cannot start from an ahead-of-time cache with these JVM options (CRYPTUN_JAVA_OPTS=-Xmn8m)"), out);
            List<String> left;
            try (var s = Files.list(realCache)) {
                left = s.map(f -> f.getFileName().toString()).toList();
            }
            assertEquals(1, left.size(), left.toString());
            assertTrue(left.get(0).matches("daemon-jdk25-[0-9]+\\.aot\\.unusable"), "no cache, a marker: " + left);
        } finally {
            try (var s = Files.walk(realCache)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /**
     * The quick JIT compiler alone (C1) where the data path's cipher will be libcrypto's (JDK 22 and
     * later, the library installed, --crypto auto or openssl); the optimising one alone (C2)
     * elsewhere, as the JDK cipher's intrinsics are C2's; CRYPTUN_JIT overrides. Whether the library
     * is installed is the launcher's guess from the usual places or CRYPTUN_LIBCRYPTO.
     */
    @Test
    void theJitFollowsTheDataPathsCipher() throws Exception {
        // without the compiler queue's feedback on C1's threshold, cryptun's methods at half of it:
        // the warm-up compiles the handshake's per-message methods
        List<String> quick = List.of("-XX:+TieredCompilation", "-XX:TieredStopAtLevel=1", "-XX:Tier3LoadFeedback=100000",
                "-XX:CompileCommand=quiet", "-XX:CompileCommand=CompileThresholdScaling,io.cryptun.*::*,0.5");
        List<String> optimizing = List.of("-XX:-TieredCompilation");
        Path lib = Files.createTempFile("ctlauncher-libcrypto", ".so.3");
        Path cache = Files.createTempDirectory("ctlauncher-jit");
        try {
            Map<String, String> installed = Map.of("CRYPTUN_LIBCRYPTO", lib.toString(), "CRYPTUN_AOT", "off");
            Map<String, String> missing = Map.of("CRYPTUN_LIBCRYPTO", "/nonexistent/libcrypto.so.3", "CRYPTUN_AOT", "off");
            assertEquals(quick, jitOptions(javaCommandLine(installed, 25, cache, "-f", "wg0")));
            assertEquals(quick, jitOptions(javaCommandLine(installed, 22, cache, "up", "wg0", "--crypto", "openssl")));
            assertEquals(quick, jitOptions(javaCommandLine(installed, 25, cache, "train")), "training as the daemon runs");
            assertEquals(optimizing, jitOptions(javaCommandLine(installed, 25, cache, "--crypto", "jdk", "-f", "wg0")));
            assertEquals(optimizing, jitOptions(javaCommandLine(installed, 25, cache, "-f", "--crypto=bc", "wg0")));
            assertEquals(optimizing, jitOptions(javaCommandLine(installed, 21, cache, "-f", "wg0")), "no foreign function API");
            assertEquals(optimizing, jitOptions(javaCommandLine(installed, 17, cache, "mesh", "ct0")));
            assertEquals(optimizing, jitOptions(javaCommandLine(missing, 25, cache, "-f", "wg0")), "no libcrypto");
            Map<String, String> forced = new java.util.HashMap<>(installed);
            forced.put("CRYPTUN_JIT", "optimizing");
            assertEquals(optimizing, jitOptions(javaCommandLine(forced, 25, cache, "-f", "wg0")));
            forced.put("CRYPTUN_JIT", "quick");
            assertEquals(quick, jitOptions(javaCommandLine(forced, 17, cache, "-f", "wg0")));
            assertTrue(jitOptions(javaCommandLine(installed, 25, cache, "genkey")).isEmpty(), "one-shot commands: the JVM's defaults");
        } finally {
            Files.deleteIfExists(lib);
            try (var s = Files.walk(cache)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** The JIT options among a java command line, in order. */
    /**
     * With the JIT options the launcher gives a daemon where it picks the quick compiler, the warm-up's
     * in-memory handshakes leave the handshake's per-message methods compiled: with the JVM's own
     * thresholds (raised while the compiler's queue is long) they were still interpreted when the first
     * real handshake came, 250-470 us a message. Read from a JVM that ran the warm-up, with jcmd.
     */
    @Test
    void theQuickJitsOptionsLeaveTheHandshakeCompiledAfterTheWarmUp() throws Exception {
        Path lib = Files.createTempFile("ctlauncher-libcrypto", ".so.3");
        Path cache = Files.createTempDirectory("ctlauncher-jit");
        List<String> jit;
        try {
            jit = jitOptions(javaCommandLine(Map.of("CRYPTUN_LIBCRYPTO", lib.toString(), "CRYPTUN_AOT", "off"), 25, cache, "-f", "wg0"));
        } finally {
            Files.deleteIfExists(lib);
            try (var s = Files.walk(cache)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
        Path javaHome = Path.of(System.getProperty("java.home"));
        List<String> cmd = new java.util.ArrayList<>(List.of(javaHome.resolve("bin/java").toString()));
        cmd.addAll(jit);
        cmd.addAll(List.of("-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                "io.cryptun.cli.daemon.WarmUpProbe"));
        Process probe = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(probe.getInputStream()));
            String line;
            while ((line = out.readLine()) != null && !line.equals("warm")) {
                // the JVM's own messages, if any
            }
            assertEquals("warm", line, "the probe ran the warm-up");
            Process jcmd = new ProcessBuilder(javaHome.resolve("bin/jcmd").toString(), Long.toString(probe.pid()),
                    "Compiler.codelist").redirectErrorStream(true).start();
            String codelist = new String(jcmd.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertEquals(0, jcmd.waitFor(), codelist);
            for (String m : List.of("io.cryptun.noise.device.Handshakes.consumeInitiation(",
                    "io.cryptun.noise.device.Handshakes.createResponse(", "io.cryptun.noise.device.Handshakes.consumeResponse(",
                    "io.cryptun.noise.device.Handshakes.createInitiation(", "io.cryptun.noise.handshake.IkHandshake.writeMessageB(",
                    "io.cryptun.noise.handshake.IkHandshake.readMessageB(", "io.cryptun.noise.device.Outbound.sendHandshakeResponse(")) {
                assertTrue(codelist.contains(m), m + " is not compiled after the warm-up (" + jit + ")");
            }
        } finally {
            probe.destroyForcibly();
            probe.waitFor();
        }
    }

    private static List<String> jitOptions(List<String> run) {
        return run.stream().filter(a -> a.contains("TieredCompilation") || a.startsWith("-XX:TieredStopAtLevel")
                || a.startsWith("-XX:Tier3LoadFeedback") || a.startsWith("-XX:CompileCommand")).toList();
    }

    /** Runs the launcher with a stand-in java and returns the arguments it passed to java. */
    private static List<String> javaCommandLine(String... args) throws Exception {
        return javaCommandLine(0, null, args);
    }

    /** As above, with a stand-in of JDK {@code major} (0: one that does not say) and that cache directory. */
    private static List<String> javaCommandLine(int major, Path cache, String... args) throws Exception {
        return javaCommandLine(major, cache, Path.of("/dev/null"), args);
    }

    /**
     * As above, with that jar. The stand-in records each run in a file of its own (a daemon may start
     * a training run in the background) and writes the cache a training run asks for; the run whose
     * command line ends with {@code args} is returned (for `train`, the one the launcher started).
     */
    private static List<String> javaCommandLine(int major, Path cache, Path jar, String... args) throws Exception {
        return javaCommandLine(Map.of(), major, cache, jar, args);
    }

    /** As above, with these variables in the launcher's environment too. */
    private static List<String> javaCommandLine(Map<String, String> env, int major, Path cache, String... args) throws Exception {
        return javaCommandLine(env, major, cache, Path.of("/dev/null"), args);
    }

    private static List<String> javaCommandLine(Map<String, String> env, int major, Path cache, Path jar, String... args) throws Exception {
        Path dir = Files.createTempDirectory("ctlauncher");
        try {
            return javaCommandLine(env, major, cache, jar, dir, args);
        } finally {
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static String aotCache(List<String> run) {
        return run.stream().filter(x -> x.startsWith("-XX:AOTCache=")).findFirst().orElse("none");
    }

    /** As above, with the stand-in java in {@code dir} (made there once: the cache's name depends on the java binary). */
    private static List<String> javaCommandLine(int major, Path cache, Path jar, Path dir, String... args) throws Exception {
        return javaCommandLine(Map.of(), major, cache, jar, dir, args);
    }

    private static List<String> javaCommandLine(Map<String, String> env, int major, Path cache, Path jar, Path dir, String... args)
            throws Exception {
        try (var old = Files.list(dir)) {
            for (Path f : old.filter(f -> f.getFileName().toString().startsWith("args.")).toList()) {
                Files.delete(f);
            }
        }
        {
            Path recorded = dir.resolve("args");
            Path fakeJava = dir.resolve("java");
            String version = major == 0 ? "" : "if [ \"$1\" = -XshowSettings:properties ]; then echo '    java.specification.version = "
                    + major + "' >&2; exit 0; fi\n";
            if (!Files.exists(fakeJava)) {
            Files.writeString(fakeJava, "#!/bin/sh\n" + version
                    + "for a in \"$@\"; do case $a in -XX:AOTCacheOutput=*) echo cache > \"${a#*=}\";; esac;"
                    + " printf '%s\\n' \"$a\"; done > '" + recorded + ".'$$\n");
            Files.setPosixFilePermissions(fakeJava, PosixFilePermissions.fromString("rwx------"));
            }
            ProcessBuilder pb = new ProcessBuilder();
            pb.command().addAll(List.of("sh", launcher().toString()));
            pb.command().addAll(Arrays.asList(args));
            if (cache != null) {
                pb.environment().put("CRYPTUN_CACHE_DIR", cache.toString());
            }
            pb.environment().put("CRYPTUN_JAVA", fakeJava.toString());
            pb.environment().put("CRYPTUN_JAR", jar.toString());
            pb.environment().putAll(env);
            pb.redirectErrorStream(true);
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("the launcher did not finish: " + out);
            }
            assertEquals(0, p.exitValue(), out);
            try (var runs = Files.list(dir)) {
                for (Path run : runs.filter(f -> f.getFileName().toString().startsWith("args.")).toList()) {
                    List<String> lines = Files.readAllLines(run);
                    if (lines.size() >= args.length
                            && lines.subList(lines.size() - args.length, lines.size()).equals(Arrays.asList(args))) {
                        return lines;
                    }
                }
            }
            fail("java was not run with " + Arrays.toString(args) + "; launcher said: " + out);
            return null;
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
