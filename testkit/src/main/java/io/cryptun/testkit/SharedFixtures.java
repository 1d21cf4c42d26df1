package io.cryptun.testkit;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The captured data in {@code shared/fixtures}, the sibling of the repository root, found by
 * walking up from the working directory (Maven runs each module's tests in the module's directory).
 */
public final class SharedFixtures {
    private SharedFixtures() {
    }

    /** {@code shared/fixtures/<sub>} in the nearest directory above that holds it ("" for the fixtures root). */
    public static Path dir(String sub) {
        Path start = Path.of("").toAbsolutePath();
        for (Path p = start; p != null; p = p.getParent()) {
            Path candidate = p.resolve("shared").resolve("fixtures").resolve(sub);
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException(Path.of("shared", "fixtures").resolve(sub) + " not found above " + start);
    }
}
