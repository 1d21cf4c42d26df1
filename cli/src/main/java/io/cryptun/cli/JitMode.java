package io.cryptun.cli;

import java.util.List;

/**
 * Which JIT compilers this JVM runs, read from its command line (the launcher chooses: see ./cryptun):
 * C1 alone ("quick"), C2 alone ("optimizing"), or both ("tiered", the JVM's default).
 */
final class JitMode {
    static final String QUICK = "quick (C1)";
    static final String OPTIMIZING = "optimizing (C2)";
    static final String TIERED = "tiered (C1 and C2)";

    private JitMode() {
    }

    static String current() {
        return of(ProcessHandle.current().info().arguments().map(List::of).orElse(List.of()));
    }

    /** From the JVM's arguments; the last of each option counts, as for the JVM. */
    static String of(List<String> args) {
        boolean tiered = true;
        int stopAt = 4;
        for (String a : args) {
            if (a.equals("-XX:-TieredCompilation")) {
                tiered = false;
            } else if (a.equals("-XX:+TieredCompilation")) {
                tiered = true;
            } else if (a.startsWith("-XX:TieredStopAtLevel=")) {
                try {
                    stopAt = Integer.parseInt(a.substring("-XX:TieredStopAtLevel=".length()));
                } catch (NumberFormatException e) {
                    // the JVM would not have started with it
                }
            }
        }
        if (!tiered) {
            return OPTIMIZING;
        }
        return stopAt <= 3 ? QUICK : TIERED;
    }
}
