package io.cryptun.routing.psk;

import io.cryptun.noise.crypto.Blake2s;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The {@code --mesh-psk-file} as the daemon follows it: read once at start, then again whenever
 * its content changes (the reactor looks at every scan, and its directory is watched), so a
 * community rolls a new secret in by editing the file, without a restart. Only a hash of the
 * content is remembered to notice changes.
 */
public final class MeshSecretsFile {
    private final Path file;
    private byte[] lastDigest;

    public MeshSecretsFile(Path file) {
        this.file = Objects.requireNonNull(file, "file");
    }

    public Path path() {
        return file;
    }

    /**
     * Reads the file and returns its secrets when the content differs from the last successful
     * read (always on the first), empty when it is unchanged.
     *
     * @throws IOException when it cannot be read or holds no valid secret list (the message names
     *                     the file and line, never a secret); the last good secrets stay in force
     */
    public synchronized Optional<MeshSecrets> readIfChanged(Consumer<String> warnings) throws IOException {
        byte[] content = MeshSecrets.readBytes(file);
        try {
            byte[] digest = Blake2s.hash(content);
            if (lastDigest != null && Arrays.equals(digest, lastDigest)) {
                return Optional.empty();
            }
            MeshSecrets.checkPermissions(file, warnings);
            MeshSecrets secrets = MeshSecrets.parse(file, content);
            lastDigest = digest;
            return Optional.of(secrets);
        } finally {
            Arrays.fill(content, (byte) 0);
        }
    }

    /** The next {@link #readIfChanged} returns the secrets even if the content is unchanged. */
    public synchronized void forget() {
        lastDigest = null;
    }
}
