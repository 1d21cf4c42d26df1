package io.cryptun.testkit;

import java.util.List;

/**
 * Outcome of a finished command: its exit code and everything it printed.
 *
 * @param command  the argv that was run (as given to the OS, including any {@code ip netns exec} prefix)
 * @param exitCode the process exit code
 * @param stdout   standard output, decoded as UTF-8
 * @param stderr   standard error, decoded as UTF-8
 */
public record ExecResult(List<String> command, int exitCode, String stdout, String stderr) {

    public ExecResult {
        command = List.copyOf(command);
    }

    public boolean succeeded() {
        return exitCode == 0;
    }

    /**
     * Returns this result if the command exited with 0.
     *
     * @throws CommandFailedException carrying the command, exit code, stdout and stderr otherwise
     */
    public ExecResult requireSuccess() {
        if (exitCode != 0) {
            throw new CommandFailedException(describe("exited with " + exitCode));
        }
        return this;
    }

    String describe(String what) {
        return String.join(" ", command) + " " + what
                + "\n--- stdout ---\n" + stdout
                + "\n--- stderr ---\n" + stderr;
    }
}
