package io.cryptun.cli.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Warns, as wg-quick does, when a configuration file (which holds a private key) is open to
 * other users. Stricter than wg-quick, which only looks at "others": group access counts too,
 * and so does write access, since whoever can edit the file controls keys and hook commands.
 */
public final class ConfigFilePermissions {
    private ConfigFilePermissions() {
    }

    /**
     * Zero or more one-line warnings of the form {@code FILE: warning: ...}. Empty when the file
     * system has no POSIX permissions or the file cannot be inspected.
     */
    public static List<String> warnings(Path file) {
        Set<PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(file);
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return List.of();
        }
        List<String> warnings = new ArrayList<>(2);
        String who = who(perms, PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ);
        if (who != null) {
            warnings.add(MessageText.oneLine(file.toString()) + ": warning: readable by " + who + " (mode "
                    + mode(perms) + ") although it holds a private key; run chmod 600 on it");
        }
        who = who(perms, PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);
        if (who != null) {
            warnings.add(MessageText.oneLine(file.toString()) + ": warning: writable by " + who + " (mode "
                    + mode(perms) + "), who can change its keys and commands; run chmod 600 on it");
        }
        return warnings;
    }

    private static String who(Set<PosixFilePermission> perms, PosixFilePermission group, PosixFilePermission others) {
        boolean g = perms.contains(group);
        boolean o = perms.contains(others);
        return g && o ? "group and others" : g ? "group" : o ? "others" : null;
    }

    private static String mode(Set<PosixFilePermission> perms) {
        int mode = 0;
        for (PosixFilePermission p : perms) {
            mode |= 1 << (8 - p.ordinal());
        }
        return String.format("%04o", mode);
    }
}
