package io.cryptun.cli.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExternalCommandTest {
    @Test
    void aFailureNamesTheCommandAndCarriesItsErrorOutput() throws IOException {
        ExternalCommand.Outcome o = ExternalCommand.run(List.of("sh", "-c", "echo out; echo why >&2; exit 3"),
                Duration.ofSeconds(10));
        assertFalse(o.ok());
        assertEquals(3, o.exitCode());
        assertEquals("sh -c echo out; echo why >&2; exit 3: out\nwhy", o.failure());
    }

    @Test
    void aFailingIpCommandThrowsWithIpsOwnError() {
        IOException e = assertThrows(IOException.class,
                () -> ExternalCommand.ipOrThrow("link", "show", "dev", "ctnosuchdev0"));
        assertTrue(e.getMessage().startsWith("ip link show dev ctnosuchdev0: "), e.getMessage());
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void aProgramThatCannotStartAndOneThatHangsAreIoExceptionsNamingThem() {
        IOException missing = assertThrows(IOException.class,
                () -> ExternalCommand.run(List.of("/nonexistent/cryptun-tool"), Duration.ofSeconds(5)));
        assertTrue(missing.getMessage().startsWith("cannot run /nonexistent/cryptun-tool: "), missing.getMessage());
        IOException hung = assertThrows(IOException.class,
                () -> ExternalCommand.run(List.of("sh", "-c", "exec >/dev/null 2>&1; sleep 5"), Duration.ofMillis(100)));
        assertEquals("sh -c exec >/dev/null 2>&1; sleep 5: timed out", hung.getMessage());
    }
}
