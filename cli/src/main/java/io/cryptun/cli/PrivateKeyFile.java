package io.cryptun.cli;

import io.cryptun.noise.crypto.Keys;
import io.cryptun.noise.crypto.X25519Keys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Set;

/**
 * The interface's private key in a file of its own, in {@code wg genkey}'s format (base64 and a
 * newline), mode 0600. Created on first start; a file others can read or write is refused. The
 * key never appears in a message.
 */
public final class PrivateKeyFile {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private PrivateKeyFile() {
    }

    /** The result of {@link #loadOrCreate}: the key (the caller zeroes it) and whether it was just made. */
    public record Loaded(byte[] privateKey, boolean created) {
    }

    public static Loaded loadOrCreate(Path file) {
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            try {
                return new Loaded(create(file), true);
            } catch (FileAlreadyExistsException e) {
                // created by someone else meanwhile: read that one
            } catch (IOException e) {
                throw new UserException("cannot create private key file " + file + ": " + e.getMessage());
            }
        }
        return new Loaded(load(file), false);
    }

    static byte[] load(Path file) {
        Set<PosixFilePermission> perms;
        byte[] raw;
        try {
            if (!Files.isRegularFile(file)) {
                throw new UserException(file + " is not a regular file");
            }
            perms = Files.getPosixFilePermissions(file);
            if (Files.size(file) > 1024) {
                throw new UserException(file + " is too large to be a private key file");
            }
            raw = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UserException("cannot read private key file " + file + ": " + e.getMessage());
        }
        for (PosixFilePermission p : perms) {
            if (!p.name().startsWith("OWNER")) {
                java.util.Arrays.fill(raw, (byte) 0);
                throw new UserException(file + " is accessible to other users (mode "
                        + PosixFilePermissions.toString(perms) + "); run: chmod 600 " + file);
            }
        }
        String text = new String(raw, StandardCharsets.US_ASCII).strip();
        java.util.Arrays.fill(raw, (byte) 0);
        try {
            byte[] key = Keys.fromBase64(text);
            if (Keys.isZero(key)) {
                throw new UserException(file + ": the private key is all zero");
            }
            return key;
        } catch (IllegalArgumentException e) {
            // the message describes the format only, never the content
            throw new UserException(file + ": not a private key in wg genkey's format (" + e.getMessage() + ")");
        }
    }

    private static byte[] create(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        byte[] key = X25519Keys.generatePrivate(new SecureRandom());
        Path temp = dir.resolve("." + file.getFileName() + ".tmp");
        Files.deleteIfExists(temp);
        Files.createFile(temp, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        byte[] text = (Keys.toBase64(key) + "\n").getBytes(StandardCharsets.US_ASCII);
        try {
            Files.write(temp, text);
            Files.setPosixFilePermissions(temp, OWNER_ONLY);
            // a hard link appears whole and, unlike a rename, never replaces a key that appeared meanwhile
            Files.createLink(file, temp);
        } finally {
            java.util.Arrays.fill(text, (byte) 0);
            Files.deleteIfExists(temp);
        }
        return key;
    }
}
