package io.cryptun.cli.it.standin;

import io.cryptun.testkit.SharedFixtures;
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
            root = SharedFixtures.dir("bmx7");
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
