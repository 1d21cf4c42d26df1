package io.cryptun.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code cryptun} command. Subcommands run the daemon and the key tools; the exit code is the
 * subcommand's. A parameter error prints one line and usage, with exit code 2.
 */
@Command(name = "cryptun",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Userspace WireGuard for mesh networks.",
        subcommands = {
            UpCommand.class,
            DemoCommand.class,
            GenKeyCommand.class,
            PubKeyCommand.class,
            GenPskCommand.class,
            ShowCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (tests call this directly). */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            if (ex instanceof UserException) {
                cmd.getErr().println(ex.getMessage());
                return ((UserException) ex).exitCode();
            }
            throw ex;
        });
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }
}
