package io.cryptun.cli.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.noise.device.EventLog.Level;
import org.junit.jupiter.api.Test;

/** Log lines for a terminal carry a time; for the journal, the sd-daemon priority of their level instead. */
class LogTest {

    @Test
    void journalLinesStartWithTheirPriority() {
        Log log = new Log(Level.VERBOSE, "wg0", true);
        assertEquals("<3>ERROR: (wg0) e", log.format(Level.ERROR, "e"));
        assertEquals("<4>WARN: (wg0) w", log.format(Level.WARN, "w"));
        assertEquals("<6>INFO: (wg0) i", log.format(Level.INFO, "i"));
        assertEquals("<7>DEBUG: (wg0) d", log.format(Level.VERBOSE, "d"));
    }

    @Test
    void terminalLinesCarryATimeAndNoPriority() {
        String line = new Log(Level.INFO, "wg0", false).format(Level.WARN, "w");
        assertTrue(line.matches("WARN: \\(wg0\\) \\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d w"), line);
    }

    @Test
    void showsItsThresholdAndTheLevelsAboveIt() {
        Log info = new Log(Level.INFO, "wg0", false);
        assertTrue(info.enabled(Level.ERROR) && info.enabled(Level.WARN) && info.enabled(Level.INFO));
        assertTrue(!info.enabled(Level.VERBOSE));
        assertTrue(new Log(Level.VERBOSE, "wg0", false).enabled(Level.VERBOSE));
        Log silent = new Log(null, "wg0", false);
        for (Level l : Level.values()) {
            assertTrue(!silent.enabled(l), l.toString());
        }
    }
}
