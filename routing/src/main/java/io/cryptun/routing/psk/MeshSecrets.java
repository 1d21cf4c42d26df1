package io.cryptun.routing.psk;

import io.cryptun.noise.crypto.Keys;
import io.cryptun.routing.CryptunRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The secrets a node holds, read from {@code --mesh-psk-file}: one base64 32-byte secret per line
 * (as {@code wg genpsk} prints one), the current generation first and, during a rotation, the next
 * one on the following line; '#' starts a comment. At most {@value #MAX_GENERATIONS}.
 *
 * <p>Which secret a pair uses: among the generations both nodes hold (each node announces the ids
 * of its own in its cryptun record, in file order), the one nearest the top of both files, ties
 * to the smallest id ({@link SecretGenerations#chosen}), so both ends choose the same without
 * talking. The other generations are kept as alternatives, which the handshake
 * tries when the peer has moved on before this node heard about it: a rotation costs no session
 * more than one handshake.
 */
public final class MeshSecrets {
    public static final int MAX_GENERATIONS = CryptunRecord.MAX_PSK_IDS;
    /** A secret file is a few lines; anything much larger is not one. */
    static final int MAX_FILE_BYTES = 16 * 1024;

    private final List<MeshSecret> secrets;

    public MeshSecrets(List<MeshSecret> secrets) {
        if (secrets.isEmpty() || secrets.size() > MAX_GENERATIONS) {
            throw new IllegalArgumentException("1 to " + MAX_GENERATIONS + " mesh secrets");
        }
        this.secrets = List.copyOf(secrets);
    }

    /**
     * Reads the file; problems are one-line messages naming the file and line, never the secret.
     * A file readable by group or others draws a warning, as wg-quick warns about config files.
     */
    public static MeshSecrets read(Path file, Consumer<String> warnings) throws IOException {
        byte[] content = readBytes(file);
        try {
            checkPermissions(file, warnings);
            return parse(file, content);
        } finally {
            java.util.Arrays.fill(content, (byte) 0);
        }
    }

    /** The file's bytes, refusing what cannot be a secret file (too large, not a regular file). */
    static byte[] readBytes(Path file) throws IOException {
        try {
            if (!Files.isRegularFile(file)) {
                throw new IOException("not a regular file");
            }
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new IOException("larger than " + MAX_FILE_BYTES + " bytes");
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IOException(file + ": cannot read the mesh secret file: " + e.getMessage());
        }
    }

    static void checkPermissions(Path file, Consumer<String> warnings) throws IOException {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ)) {
                warnings.accept(file + ": warning: the mesh secret is readable by other users; run chmod 600 on it");
            }
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: nothing to check
        }
    }

    /** Parses a secret file's content; {@code file} only names it in messages. */
    static MeshSecrets parse(Path file, byte[] content) throws IOException {
        List<String> lines = new String(content, StandardCharsets.US_ASCII).lines().toList();
        List<MeshSecret> out = new ArrayList<>();
        try {
            parseLines(file, lines, out);
        } catch (IOException | RuntimeException e) {
            out.forEach(MeshSecret::destroy);
            throw e;
        }
        if (out.isEmpty()) {
            throw new IOException(file + ": holds no mesh secret");
        }
        return new MeshSecrets(out);
    }

    private static void parseLines(Path file, List<String> lines, List<MeshSecret> out) throws IOException {
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            int hash = line.indexOf('#');
            String text = (hash >= 0 ? line.substring(0, hash) : line).strip();
            if (text.isEmpty()) {
                continue;
            }
            byte[] raw;
            try {
                raw = Keys.fromBase64(text);
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ":" + (i + 1) + ": not a mesh secret (" + e.getMessage()
                        + "; make one with `wg genpsk`)");
            }
            MeshSecret secret = new MeshSecret(raw);
            Keys.zero(raw);
            for (MeshSecret earlier : out) {
                if (earlier.id().equals(secret.id())) {
                    secret.destroy();
                    throw new IOException(file + ":" + (i + 1) + ": the same secret twice (generation " + secret.id() + ")");
                }
            }
            out.add(secret);
            if (out.size() > MAX_GENERATIONS) {
                throw new IOException(file + ":" + (i + 1) + ": more than " + MAX_GENERATIONS + " secrets");
            }
        }
    }

    public List<MeshSecret> all() {
        return secrets;
    }

    /** The ids to announce, in file order. */
    public List<String> ids() {
        List<String> ids = new ArrayList<>();
        for (MeshSecret s : secrets) {
            ids.add(s.id());
        }
        return ids;
    }

    /** The generation with this id, if held. */
    public Optional<MeshSecret> byId(String id) {
        for (MeshSecret s : secrets) {
            if (s.id().equals(id)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /** The secret a pair uses ({@link SecretGenerations#chosen}); empty when they share none. */
    public Optional<MeshSecret> choose(List<String> peerIds) {
        return SecretGenerations.chosen(ids(), peerIds).flatMap(this::byId);
    }

    /**
     * The pre-shared keys for a peer: the chosen one first, then every other generation this node
     * holds (as alternatives). With no shared generation, the current secret's key: the handshake
     * then fails, visibly, which is what a closed community means.
     */
    public List<byte[]> pskCandidates(byte[] ourPublic, byte[] theirPublic, List<String> peerIds) {
        List<byte[]> out = new ArrayList<>();
        for (String id : SecretGenerations.order(ids(), peerIds)) {
            out.add(byId(id).orElseThrow().pskFor(ourPublic, theirPublic));
        }
        return out;
    }

    public void destroy() {
        for (MeshSecret s : secrets) {
            s.destroy();
        }
    }
}
