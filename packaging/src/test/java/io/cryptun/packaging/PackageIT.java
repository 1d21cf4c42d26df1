package io.cryptun.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.cli.Main;
import io.cryptun.cli.VersionProvider;
import io.cryptun.testkit.ExecResult;
import io.cryptun.testkit.NetnsAssumptions;
import io.cryptun.testkit.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The built .deb, installed with dpkg into a throwaway root (never the real system): the files are
 * where they belong, the installed launcher runs the installed jar, the man page renders and
 * covers every option, the bash completion completes, and the unit passes systemd-analyze verify.
 */
class PackageIT {
    private Path root;
    private Path deb;

    @BeforeEach
    void install() throws IOException {
        NetnsAssumptions.assumeCommand("dpkg");
        Path dir = Path.of(System.getProperty("cryptun.deb.dir", "target"));
        try (Stream<Path> s = Files.list(dir)) {
            deb = s.filter(p -> p.getFileName().toString().matches("cryptun_.*_all\\.deb")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no cryptun_*_all.deb in " + dir));
        }
        root = Files.createTempDirectory("cryptun-dpkg-root-");
        for (String d : List.of("var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers")) {
            Files.createDirectories(root.resolve(d));
        }
        Files.createFile(root.resolve("var/lib/dpkg/status"));
        // the root has no Java or iproute2 of its own: their absence is not what is tested here
        ExecResult r = Processes.run(List.of("dpkg", "--root=" + root, "--force-depends", "--force-not-root", "-i",
                deb.toString()), Duration.ofSeconds(120));
        assertEquals(0, r.exitCode(), r.stdout() + r.stderr());
    }

    @AfterEach
    void removeRoot() throws IOException {
        if (root != null) {
            try (Stream<Path> s = Files.walk(root)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void packageIsInstalledWithItsFiles() {
        ExecResult status = Processes.run("dpkg", "--root=" + root, "-s", "cryptun").requireSuccess();
        assertTrue(status.stdout().contains("Status: install ok installed"), status.stdout());
        assertTrue(status.stdout().contains("Version: " + VersionProvider.version().replace('-', '~')), status.stdout());
        assertTrue(status.stdout().contains("Depends: openjdk-17-jre-headless | java17-runtime-headless, iproute2"),
                status.stdout());
        String files = Processes.run("dpkg", "--root=" + root, "-L", "cryptun").requireSuccess().stdout();
        for (String f : List.of("/usr/bin/cryptun", "/usr/share/cryptun/cryptun.jar", "/lib/systemd/system/cryptun@.service",
                "/usr/share/man/man8/cryptun.8.gz", "/usr/share/bash-completion/completions/cryptun")) {
            assertTrue(files.contains(f + "\n"), f + " missing from\n" + files);
            assertTrue(Files.isRegularFile(root.resolve(f.substring(1))), f);
        }
        assertTrue(Files.isExecutable(root.resolve("usr/bin/cryptun")));
    }

    @Test
    void installedLauncherRunsTheInstalledJar() {
        ExecResult v = Processes.run(root.resolve("usr/bin/cryptun").toString(), "--version");
        assertEquals(0, v.exitCode(), v.stderr());
        assertTrue(v.stdout().startsWith("cryptun " + VersionProvider.version() + " "), v.stdout());
        ExecResult key = Processes.run(root.resolve("usr/bin/cryptun").toString(), "genkey");
        assertEquals(0, key.exitCode(), key.stderr());
        assertTrue(key.stdout().strip().matches("[A-Za-z0-9+/]{43}="), key.stdout());
    }

    @Test
    void manPageRendersAndCoversEveryOption() {
        NetnsAssumptions.assumeCommand("man");
        Path page = root.resolve("usr/share/man/man8/cryptun.8.gz");
        ExecResult r = Processes.run(List.of("env", "MANWIDTH=200", "MAN_KEEP_FORMATTING=0", "man", "--warnings", "-l",
                page.toString()), Duration.ofSeconds(60));
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals("", r.stderr(), "warnings from groff");
        String text = r.stdout().replaceAll(".\b", "");
        assertTrue(text.contains("CRYPTUN(8)"), text);
        assertTrue(text.contains("/var/run/wireguard/IFNAME.sock"), text);
        CommandLine cl = Main.commandLine();
        for (CommandLine c : Stream.concat(Stream.of(cl), cl.getSubcommands().values().stream()).toList()) {
            if (c.getCommandName().equals("help")) {
                continue;
            }
            assertTrue(text.contains(c.getCommandSpec().qualifiedName()), c.getCommandSpec().qualifiedName());
            for (OptionSpec o : c.getCommandSpec().options()) {
                if (!o.hidden()) {
                    assertTrue(text.contains(o.longestName()), o.longestName() + " of " + c.getCommandName() + " not in\n" + text);
                }
            }
        }
    }

    @Test
    void bashCompletionCompletesSubcommandsAndOptions() {
        NetnsAssumptions.assumeCommand("bash");
        Path script = root.resolve("usr/share/bash-completion/completions/cryptun");
        Map<String, String> cases = Map.of(
                "cryptun ge", "genkey genpsk",
                "cryptun up --con", "--config",
                "cryptun show --js", "--json");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            String line = c.getKey();
            String program = "source '" + script + "'\n"
                    + "COMP_LINE='" + line + "'; COMP_POINT=" + line.length() + "\n"
                    + "read -ra COMP_WORDS <<< \"$COMP_LINE\"; COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
                    + "_complete_cryptun cryptun \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD-1]}\"\n"
                    + "printf '%s\\n' \"${COMPREPLY[@]}\" | sort | tr '\\n' ' '\n";
            ExecResult r = Processes.run("bash", "-c", program);
            assertEquals(0, r.exitCode(), r.stderr());
            assertEquals(c.getValue(), r.stdout().strip(), line);
        }
    }

    @Test
    void systemdUnitPassesVerify() throws IOException {
        String unit = Files.readString(root.resolve("lib/systemd/system/cryptun@.service"));
        assertTrue(unit.contains("ExecStart=/usr/bin/cryptun up %i --config /etc/wireguard/%i.conf"), unit);
        assertTrue(unit.contains("Restart=on-failure"), unit);
        assertTrue(unit.contains("CapabilityBoundingSet=CAP_NET_ADMIN\n"), unit);
        assertTrue(unit.contains("AmbientCapabilities=CAP_NET_ADMIN\n"), unit);
        assertTrue(unit.contains("LimitCORE=0\n"), "no core file holding keys: " + unit);
        if (Processes.findOnPath("systemd-analyze").isEmpty()) {
            return; // checked where systemd is available
        }
        // an instance of the template, with ExecStart pointing at the launcher in the throwaway
        // root (verify checks that the command exists)
        Path dir = Files.createDirectories(root.resolve("verify"));
        Path instance = dir.resolve("cryptun@ctuatest.service");
        Files.writeString(instance, unit.replace("/usr/bin/cryptun", root.resolve("usr/bin/cryptun").toString()));
        ExecResult r = Processes.run(List.of("systemd-analyze", "verify", "--man=no", instance.toString()),
                Duration.ofSeconds(60));
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals("", r.stderr().strip(), "systemd-analyze warnings");
    }
}
