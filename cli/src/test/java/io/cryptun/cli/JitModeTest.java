package io.cryptun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class JitModeTest {
    @Test
    void readsTheLauncherChoiceAndLetsTheLastOptionWin() {
        assertEquals(JitMode.QUICK, JitMode.of(List.of("-XX:+TieredCompilation", "-XX:TieredStopAtLevel=1", "-jar", "x.jar")));
        assertEquals(JitMode.OPTIMIZING, JitMode.of(List.of("-XX:-TieredCompilation", "-jar", "x.jar")));
        // a user's CRYPTUN_JAVA_OPTS come after the launcher's
        assertEquals(JitMode.OPTIMIZING, JitMode.of(List.of("-XX:+TieredCompilation", "-XX:TieredStopAtLevel=1", "-XX:-TieredCompilation")));
        assertEquals(JitMode.TIERED, JitMode.of(List.of("-XX:+TieredCompilation", "-XX:TieredStopAtLevel=1", "-XX:TieredStopAtLevel=4")));
        assertEquals(JitMode.TIERED, JitMode.of(List.of()));
    }
}
