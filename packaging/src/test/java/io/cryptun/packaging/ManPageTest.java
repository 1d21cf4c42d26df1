package io.cryptun.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.cli.Main;
import io.cryptun.testkit.ExecResult;
import io.cryptun.testkit.NetnsAssumptions;
import io.cryptun.testkit.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The man page as man(1) shows it: options read as typed, multi-line descriptions keep their lines. */
class ManPageTest {

    @Test
    void rendersOptionsAsTypedAndKeepsDescriptionLines(@TempDir Path dir) throws Exception {
        NetnsAssumptions.assumeCommand("man");
        Path page = dir.resolve("cryptun.8");
        Files.writeString(page, ManPage.render(Main.commandLine(), "test"));
        ExecResult r = Processes.run(List.of("env", "MANWIDTH=200", "MAN_KEEP_FORMATTING=0", "man", "--warnings", "-l",
                page.toString()), Duration.ofSeconds(60));
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals("", r.stderr(), "warnings from groff");
        // man prints a hyphen-minus as U+2010 in some locales: compare what a reader would type
        String text = r.stdout().replaceAll(".\b", "").replace('\u2010', '-').replace('\u2212', '-');
        assertTrue(text.contains("systemctl enable --now cryptun@wg0"), text);
        assertFalse(text.contains("\\-"), "a roff escape shows: " + text);
        List<String> lines = text.lines().map(String::strip).toList();
        for (String mode : List.of("require: tunnels only", "prefer:  WireGuard where", "off:     no WireGuard")) {
            assertTrue(lines.stream().anyMatch(l -> l.startsWith(mode)), "--crypt mode not on a line of its own: " + mode
                    + "\n" + text);
        }
    }
}
