package io.cryptun.packaging;

import io.cryptun.cli.Main;
import io.cryptun.cli.VersionProvider;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import picocli.AutoComplete;
import picocli.CommandLine;

/**
 * Build step: writes cryptun.8.gz and the bash completion script for the command line as it is,
 * from picocli's model of it. Usage: GenerateDocs OUTPUT_DIR.
 */
public final class GenerateDocs {
    private GenerateDocs() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: GenerateDocs OUTPUT_DIR");
        }
        Path out = Files.createDirectories(Path.of(args[0]));
        CommandLine cl = Main.commandLine();
        // no timestamp in the gzip header (Java writes none), so the page is reproducible
        try (OutputStream gz = new GZIPOutputStream(Files.newOutputStream(out.resolve("cryptun.8.gz")))) {
            gz.write(ManPage.render(cl, VersionProvider.version()).getBytes(StandardCharsets.UTF_8));
        }
        Files.writeString(out.resolve("cryptun.bash"), AutoComplete.bash("cryptun", cl));
    }
}
