package io.cryptun.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.cli.Main;
import io.cryptun.cli.VersionProvider;
import io.cryptun.testkit.ExecResult;
import io.cryptun.testkit.NetnsAssumptions;
import io.cryptun.testkit.Processes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The built .deb, installed with dpkg into a throwaway root (never the real system): the files are
 * where they belong, the installed launcher runs the installed jar, the man page renders and
 * covers every option, the bash completion completes, the units pass systemd-analyze verify, the
 * copyright and changelog are Debian's formats and agree with the package, and snapshot versions
 * sort. Debian's own checks (lintian, piuparts) take minutes and the archive: packaging/check-deb.
 */
class PackageIT {
    /** The settings of cryptun@.service that confine the process; the mesh unit must keep each one. */
    private static final List<String> SANDBOX_KEYS = List.of("UMask", "LimitCORE", "CapabilityBoundingSet",
            "AmbientCapabilities", "NoNewPrivileges", "DevicePolicy", "DeviceAllow", "ProtectSystem", "ProtectHome",
            "PrivateTmp", "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups",
            "ProtectClock", "ProtectHostname", "RestrictAddressFamilies", "RestrictNamespaces", "RestrictRealtime",
            "RestrictSUIDSGID", "LockPersonality", "SystemCallArchitectures");

    private Path root;
    private Path deb;

    @BeforeEach
    void install() throws IOException {
        NetnsAssumptions.assumeCommand("dpkg");
        deb = Path.of(System.getProperty("cryptun.deb", "target/none.deb"));
        assertTrue(Files.isRegularFile(deb), "the package this build made is missing: " + deb);
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
    void packageIsInstalledWithItsFiles() throws IOException {
        ExecResult status = Processes.run("dpkg", "--root=" + root, "-s", "cryptun").requireSuccess();
        assertTrue(status.stdout().contains("Status: install ok installed"), status.stdout());
        assertTrue(status.stdout().contains("Depends: openjdk-17-jre-headless | java17-runtime-headless, iproute2"),
                status.stdout());
        // a maintainer address lintian accepts (not localhost), and no Homepage that is not cryptun's
        assertTrue(status.stdout().contains("Maintainer: " + maintainer() + "\n"), status.stdout());
        assertFalse(maintainer().contains("@localhost"), maintainer());
        assertFalse(status.stdout().contains("wireguard.com"), status.stdout());
        String files = Processes.run("dpkg", "--root=" + root, "-L", "cryptun").requireSuccess().stdout();
        for (String f : List.of("/usr/bin/cryptun", "/usr/share/cryptun/cryptun.jar", "/lib/systemd/system/cryptun@.service",
                "/lib/systemd/system/cryptun-mesh@.service", "/etc/cryptun/mesh.conf.example",
                "/usr/share/man/man8/cryptun.8.gz", "/usr/share/bash-completion/completions/cryptun",
                "/usr/share/doc/cryptun/copyright", "/usr/share/doc/cryptun/changelog.gz", "/usr/share/doc/cryptun/mesh.md",
                "/usr/share/lintian/overrides/cryptun")) {
            assertTrue(files.contains(f + "\n"), f + " missing from\n" + files);
            assertTrue(Files.isRegularFile(root.resolve(f.substring(1))), f);
        }
        assertTrue(Files.isExecutable(root.resolve("usr/bin/cryptun")));
        // the example keeps an admin's edits over upgrades
        ExecResult conffiles = Processes.run("dpkg-query", "--root=" + root, "-W", "-f", "${Conffiles}", "cryptun").requireSuccess();
        assertTrue(conffiles.stdout().contains("/etc/cryptun/mesh.conf.example "), conffiles.stdout());
        // bash sources completions: a "#!" line would be lintian's bash-completion-with-hashbang
        assertFalse(read("usr/share/bash-completion/completions/cryptun").startsWith("#!"));
    }

    @Test
    void snapshotVersionsSortByCommitAndBelowTheRelease() {
        String version = field("Version");
        String maven = VersionProvider.version();
        assertTrue(maven.endsWith("-SNAPSHOT"), "this test is about snapshot builds: " + maven);
        String base = maven.substring(0, maven.length() - "-SNAPSHOT".length());
        Matcher m = Pattern.compile(Pattern.quote(base) + "~SNAPSHOT\\.(\\d{14})\\.g([0-9a-f]{7,})").matcher(version);
        assertTrue(m.matches(), "X~SNAPSHOT.COMMITTIME.gHASH: " + version);
        long time = Long.parseLong(m.group(1));
        String earlierCommit = base + "~SNAPSHOT." + (time - 1) + ".gfffffff";
        String laterCommit = base + "~SNAPSHOT." + (time + 1) + ".g0000000";
        // what every build was called before (apt must take this one as an upgrade), the release,
        // and builds of the commits just before and after this one (whatever their hashes)
        assertVersionOrder(base + "~SNAPSHOT", version);
        assertVersionOrder(version, base);
        assertVersionOrder(earlierCommit, version);
        assertVersionOrder(version, laterCommit);
        // the time is the commit's (when built from git), so rebuilding a commit gives its version again
        ExecResult git = Processes.run("env", "TZ=UTC", "git", "log", "-1", "--format=%cd.g%h", "--date=format-local:%Y%m%d%H%M%S");
        if (git.exitCode() == 0 && !git.stdout().isBlank()) {
            assertTrue(version.endsWith("~SNAPSHOT." + git.stdout().strip()), version + " vs HEAD " + git.stdout());
        }
    }

    private static void assertVersionOrder(String lower, String higher) {
        ExecResult r = Processes.run("dpkg", "--compare-versions", lower, "lt", higher);
        assertEquals(0, r.exitCode(), lower + " must sort below " + higher + r.stderr());
    }

    @Test
    void changelogIsTheVersionsEntry() throws IOException {
        String changelog;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(root.resolve("usr/share/doc/cryptun/changelog.gz")))) {
            changelog = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(changelog.startsWith("cryptun (" + field("Version") + ") unstable; urgency=medium\n"), changelog);
        assertTrue(changelog.contains("\n -- " + maintainer() + "  "), changelog);
        // dpkg's own parser accepts it (date included)
        if (Processes.findOnPath("dpkg-parsechangelog").isPresent()) {
            Path plain = Files.writeString(root.resolve("changelog"), changelog);
            ExecResult r = Processes.run("dpkg-parsechangelog", "-l", plain.toString(), "-S", "Version");
            assertEquals(0, r.exitCode(), r.stderr());
            assertEquals(field("Version"), r.stdout().strip());
            assertEquals("", r.stderr().strip(), "dpkg-parsechangelog warnings");
        }
        // gzip -9n: the header's maximum-compression flag and no timestamp (lintian checks both)
        byte[] gz = Files.readAllBytes(root.resolve("usr/share/doc/cryptun/changelog.gz"));
        byte[] man = Files.readAllBytes(root.resolve("usr/share/man/man8/cryptun.8.gz"));
        for (byte[] g : List.of(gz, man)) {
            assertEquals(2, g[8], "XFL: maximum compression");
            assertEquals(0, g[4] | g[5] | g[6] | g[7], "MTIME");
        }
    }

    @Test
    void copyrightIsMachineReadableAndCoversEveryBundledFile() throws IOException {
        String copyright = read("usr/share/doc/cryptun/copyright");
        assertTrue(copyright.startsWith("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"));
        assertTrue(copyright.contains("\nUpstream-Contact: " + maintainer() + "\n"), "same contact as Maintainer");
        // stanzas: Files patterns (continuation lines included) and their licence
        List<Pattern> bundled = new ArrayList<>();
        Set<String> licencesUsed = new TreeSet<>();
        Set<String> licencesGiven = new TreeSet<>();
        for (String stanza : copyright.split("\n\n")) {
            if (stanza.startsWith("Format:")) {
                continue;
            }
            Matcher files = Pattern.compile("(?m)^Files:((?: .*\n?)(?:^ .*\n?)*)").matcher(stanza);
            Matcher licence = Pattern.compile("(?m)^License: (.*)$").matcher(stanza);
            assertTrue(licence.find(), "a stanza without License:\n" + stanza);
            if (files.find()) {
                assertTrue(stanza.contains("\nCopyright: "), "no Copyright: in\n" + stanza);
                for (String l : licence.group(1).split(",? (?:and|or) ")) {
                    licencesUsed.add(l.strip());
                }
                for (String glob : files.group(1).trim().split("\\s+")) {
                    if (!glob.equals("*")) {
                        bundled.add(Pattern.compile(Pattern.quote(glob).replace("*", "\\E.*\\Q")));
                    }
                }
            } else {
                licencesGiven.add(licence.group(1).strip());
            }
        }
        assertEquals(licencesUsed, licencesGiven, "every licence named has its text, and no other");
        // every file of the jar that is not cryptun's own is under a library's stanza: a new
        // dependency fails here until its copyright and licence are written down
        List<String> unlisted = new ArrayList<>();
        try (JarFile jar = new JarFile(root.resolve("usr/share/cryptun/cryptun.jar").toFile())) {
            for (JarEntry e : java.util.Collections.list(jar.entries())) {
                String name = e.getName();
                boolean ours = name.startsWith("io/cryptun/") || name.startsWith("META-INF/maven/io.cryptun/")
                        || name.equals("META-INF/MANIFEST.MF") || name.equals("cryptun-version.properties");
                if (!e.isDirectory() && !ours && bundled.stream().noneMatch(p -> p.matcher(name).matches())) {
                    unlisted.add(name);
                }
            }
        }
        assertEquals(List.of(), unlisted, "jar entries no copyright stanza covers");
    }

    @Test
    void meshExampleConfigIsValidMeshOptions() throws IOException {
        Path example = root.resolve("etc/cryptun/mesh.conf.example");
        // as installed: the two active settings
        CommandLine.ParseResult active = Main.commandLine().parseArgs("mesh", "ct0", "@" + example);
        assertEquals(Path.of("/var/run/bmx7"), active.subcommand().matchedOptionValue("--bmx7-dir", null));
        assertEquals("require", active.subcommand().matchedOptionValue("--crypt", null));
        // every commented-out option, switched on, is one cryptun mesh knows with a value it takes
        String all = read("etc/cryptun/mesh.conf.example").replaceAll("(?m)^#--", "--");
        Path enabled = Files.writeString(root.resolve("mesh-all.conf"), all);
        CommandLine.ParseResult every = Main.commandLine().parseArgs("mesh", "ct0", "@" + enabled);
        List<String> expected = Pattern.compile("(?m)^--([a-z0-9-]+)").matcher(all).results().map(r -> "--" + r.group(1))
                .distinct().toList();
        assertTrue(expected.size() >= 10, expected.toString());
        for (String option : expected) {
            assertTrue(every.subcommand().hasMatchedOption(option), option + " not parsed from\n" + all);
        }
        List<String> tun4 = every.subcommand().matchedOptionValue("--tun4", List.of());
        assertEquals(List.of("10.254.1.1/32"), tun4);
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
        // the mesh node's unit and its configuration (words compared, wherever groff breaks the lines)
        String words = text.replaceAll("\\s+", " ");
        for (String s : List.of("/lib/systemd/system/cryptun-mesh@.service", "cryptun mesh IFNAME @/etc/cryptun/IFNAME.conf",
                "after bmx7.service", "systemctl enable --now cryptun-mesh@ct0", "/etc/cryptun/mesh.conf.example")) {
            assertTrue(words.contains(s), s + " not in\n" + text);
        }
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
    void meshUnitRunsTheInstancesOptionsNextToBmx7WithTheSameSandbox() throws IOException {
        String unit = read("lib/systemd/system/cryptun-mesh@.service");
        assertTrue(unit.contains("\nExecStart=/usr/bin/cryptun mesh %i @/etc/cryptun/%i.conf\n"), unit);
        assertTrue(unit.contains("\nConditionPathExists=/etc/cryptun/%i.conf\n"), unit);
        assertTrue(unit.contains("\nRestart=on-failure\n"), unit);
        // bmx7.service when it exists: ordered, pulled in, stop and restart propagated; never a
        // hard requirement (BindsTo/Requires fail the start where bmx7 runs without that unit)
        for (String dep : List.of("After=bmx7.service", "Wants=bmx7.service", "PartOf=bmx7.service")) {
            assertTrue(unit.contains("\n" + dep + "\n"), dep);
        }
        assertFalse(unit.contains("BindsTo=") || unit.contains("Requires=") || unit.contains("Requisite="), unit);
        // a stop (SIGTERM: the JVM ends with 143 after cryptun withdrew) is not a failure
        assertTrue(unit.contains("\nSuccessExitStatus=143\n"), unit);
        // bmx7's runtime directory, the key's directory and the class-data cache are writable
        assertTrue(unit.contains("\nRuntimeDirectory=wireguard bmx7\n"), unit);
        assertTrue(unit.contains("\nReadWritePaths=/etc/cryptun\n"), unit);
        assertTrue(unit.contains("\nCacheDirectory=cryptun\n"), unit);
        String interfaceUnit = read("lib/systemd/system/cryptun@.service");
        for (String key : SANDBOX_KEYS) {
            String setting = setting(interfaceUnit, key);
            assertTrue(setting != null, key + " no longer in cryptun@.service: update SANDBOX_KEYS");
            assertEquals(setting, setting(unit, key), key + " differs from cryptun@.service");
        }
        verify("cryptun-mesh@ctmtest.service", unit);
    }

    private static String setting(String unit, String key) {
        Matcher m = Pattern.compile("(?m)^" + key + "=(.*)$").matcher(unit);
        return m.find() ? m.group(1) : null;
    }

    @Test
    void systemdUnitPassesVerify() throws IOException {
        String unit = Files.readString(root.resolve("lib/systemd/system/cryptun@.service"));
        assertTrue(unit.contains("ExecStart=/usr/bin/cryptun up %i --config /etc/wireguard/%i.conf"), unit);
        assertTrue(unit.contains("Restart=on-failure"), unit);
        assertTrue(unit.contains("CapabilityBoundingSet=CAP_NET_ADMIN\n"), unit);
        assertTrue(unit.contains("AmbientCapabilities=CAP_NET_ADMIN\n"), unit);
        assertTrue(unit.contains("LimitCORE=0\n"), "no core file holding keys: " + unit);
        verify("cryptun@ctuatest.service", unit);
    }

    /** systemd-analyze verify on an instance of the template (where systemd-analyze is installed). */
    private void verify(String instanceName, String unit) throws IOException {
        if (Processes.findOnPath("systemd-analyze").isEmpty()) {
            return; // checked where systemd is available
        }
        // with ExecStart pointing at the launcher in the throwaway root (verify checks that the command exists)
        Path dir = Files.createDirectories(root.resolve("verify"));
        Path instance = dir.resolve(instanceName);
        Files.writeString(instance, unit.replace("/usr/bin/cryptun", root.resolve("usr/bin/cryptun").toString()));
        ExecResult r = Processes.run(List.of("systemd-analyze", "verify", "--man=no", instance.toString()),
                Duration.ofSeconds(60));
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals("", r.stderr().strip(), "systemd-analyze warnings");
    }

    private String read(String path) throws IOException {
        return Files.readString(root.resolve(path));
    }

    private String field(String name) {
        return Processes.run("dpkg-deb", "-f", deb.toString(), name).requireSuccess().stdout().strip();
    }

    private String maintainer() {
        return field("Maintainer");
    }
}
