package io.cryptun.routing;

import io.cryptun.testkit.SharedFixtures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The captured bmx7 data in {@code shared/fixtures/bmx7}, the sibling of the repository root. */
public final class Fixtures {
    public static final String A = "1265DA421CD0C5A477CF3D86A77FD783F4E2DA794ACF7214630754A9";
    public static final String B = "80EF62AC63117EA3CA4879BE4F82CE7122AC78064DC79F6C069E89C3";
    public static final String C = "1A5C9522FE2AE9AC41ADD74AB5DC6E014FAECE783A8BB03024C3772C";
    public static final String D = "6F340E148EB66A89551BCE02322811DE28BA357F0780FB9950B660B2";

    private static Path root;

    private Fixtures() {
    }

    /** Walks up from the working directory to the one holding {@code shared/fixtures}. */
    public static synchronized Path bmx7() {
        if (root == null) {
            root = SharedFixtures.dir("bmx7");
        }
        return root;
    }

    public static Path path(String relative) {
        return bmx7().resolve(relative);
    }

    public static byte[] bytes(String relative) {
        try {
            return Files.readAllBytes(path(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String text(String relative) {
        return new String(bytes(relative), StandardCharsets.ISO_8859_1);
    }

    public static NodeId id(String hex) {
        return NodeId.parse(hex);
    }
}
