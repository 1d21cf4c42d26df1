package io.cryptun.noise;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds ../shared/fixtures beside the project root, walking up from the working directory. */
public final class Fixtures {
    private Fixtures() {
    }

    public static Path dir() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null) {
            Path candidate = p.resolve("shared").resolve("fixtures");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
            p = p.getParent();
        }
        throw new IllegalStateException("../shared/fixtures not found above " + Path.of("").toAbsolutePath());
    }

    public static Path file(String relative) {
        return dir().resolve(relative);
    }
}
