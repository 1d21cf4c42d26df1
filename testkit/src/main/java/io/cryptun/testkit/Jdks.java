package io.cryptun.testkit;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/**
 * Other JDKs on this machine, for tests of what only newer JDKs can do while the build runs on
 * JDK 17. Found the way the ./cryptun launcher finds them (the release file of each JDK under
 * /usr/lib/jvm), or named by the environment variable {@value #OVERRIDE_ENV} (a java binary).
 */
public final class Jdks {
    public static final String OVERRIDE_ENV = "CRYPTUN_TEST_NEW_JAVA";
    private static final Path JVM_DIR = Path.of("/usr/lib/jvm");
    private static final Pattern VERSION = Pattern.compile("(?m)^JAVA_VERSION=\"(\\d+)");

    private Jdks() {
    }

    /** The java binary of the newest JDK of at least {@code minFeature} (e.g. 22), if any. */
    public static Optional<Path> newest(int minFeature) {
        String override = System.getenv(OVERRIDE_ENV);
        if (override != null && !override.isEmpty()) {
            Path java = Path.of(override);
            return Files.isExecutable(java) ? Optional.of(java) : Optional.empty();
        }
        Path best = null;
        int bestFeature = minFeature - 1;
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(JVM_DIR)) {
            for (Path dir : dirs) {
                Path java = dir.resolve("bin/java");
                Path release = dir.resolve("release");
                if (!Files.isExecutable(java) || !Files.isRegularFile(release)) {
                    continue;
                }
                Matcher m = VERSION.matcher(Files.readString(release));
                if (m.find() && Integer.parseInt(m.group(1)) > bestFeature) {
                    bestFeature = Integer.parseInt(m.group(1));
                    best = java;
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.ofNullable(best);
    }

    /**
     * The newest JDK of at least {@code minFeature}, or the test is skipped with {@code why} (what
     * goes untested without it). A skip, not a failure, even in CI: such a JDK is optional for
     * cryptun, and CI's apt sources (Debian 12) have none.
     */
    public static Path assumeAtLeast(int minFeature, String why) {
        Optional<Path> java = newest(minFeature);
        Assumptions.assumeTrue(java.isPresent(), () -> "no JDK " + minFeature + " or later in " + JVM_DIR
                + " (or $" + OVERRIDE_ENV + "): " + why);
        return java.orElseThrow();
    }
}
