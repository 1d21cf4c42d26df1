package io.cryptun.packaging;

import io.cryptun.cli.Main;
import io.cryptun.cli.VersionProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.AutoComplete;
import picocli.CommandLine;

/**
 * Build step: writes cryptun.8.gz and the bash completion script for the command line as it is,
 * from picocli's model of it, and the package's changelog.gz.
 * Usage: GenerateDocs OUTPUT_DIR DEBIAN_VERSION DATE MAINTAINER.
 */
public final class GenerateDocs {
    private GenerateDocs() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 4) {
            throw new IllegalArgumentException("usage: GenerateDocs OUTPUT_DIR DEBIAN_VERSION DATE MAINTAINER");
        }
        Path out = Files.createDirectories(Path.of(args[0]));
        CommandLine cl = Main.commandLine();
        Files.write(out.resolve("cryptun.8.gz"),
                Gzip.maxCompressed(ManPage.render(cl, VersionProvider.version()).getBytes(StandardCharsets.UTF_8)));
        // bash sources a completion file, it never runs it: no "#!" line (lintian: bash-completion-with-hashbang)
        Files.writeString(out.resolve("cryptun.bash"), AutoComplete.bash("cryptun", cl).replaceFirst("\\A#![^\n]*\n", ""));
        Files.write(out.resolve("changelog.gz"),
                Gzip.maxCompressed(DebianChangelog.render(args[1], args[3], args[2]).getBytes(StandardCharsets.UTF_8)));
    }
}
