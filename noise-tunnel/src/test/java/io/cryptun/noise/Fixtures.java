package io.cryptun.noise;

import io.cryptun.testkit.SharedFixtures;
import java.nio.file.Path;

/** Finds ../shared/fixtures beside the project root, walking up from the working directory. */
public final class Fixtures {
    private Fixtures() {
    }

    public static Path dir() {
        return SharedFixtures.dir("");
    }

    public static Path file(String relative) {
        return dir().resolve(relative);
    }
}
