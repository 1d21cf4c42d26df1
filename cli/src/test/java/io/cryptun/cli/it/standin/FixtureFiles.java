package io.cryptun.cli.it.standin;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The captured bmx7 data in {@code shared/fixtures/bmx7}, found by walking up from the working directory. */
public final class FixtureFiles {
    private static Path root;

    private FixtureFiles() {
    }

    public static synchronized Path bmx7() {
        if (root == null) {
            Path dir = Path.of("").toAbsolutePath();
            while (dir != null && !Files.isDirectory(dir.resolve("shared/fixtures/bmx7"))) {
                dir = dir.getParent();
            }
            if (dir == null) {
                throw new IllegalStateException("shared/fixtures/bmx7 not found above " + Path.of("").toAbsolutePath());
            }
            root = dir.resolve("shared/fixtures/bmx7");
        }
        return root;
    }

    public static String text(String relative) {
        try {
            return Files.readString(bmx7().resolve(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] bytes(String relative) {
        try {
            return Files.readAllBytes(bmx7().resolve(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
