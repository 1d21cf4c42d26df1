package io.cryptun.cli;

import io.cryptun.cli.daemon.MetricsServer;
import io.cryptun.cli.process.JournalStream;
import io.cryptun.cli.process.Log;
import io.cryptun.cli.process.Readiness;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code cryptun} command. Subcommands run the daemon and the key tools; the exit code is the
 * subcommand's. A parameter error prints one line and usage, with exit code 2.
 */
@Command(name = "cryptun",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {"Userspace WireGuard for mesh networks.",
            "",
            // one element per paragraph: picocli wraps each to the terminal, and breaks between them
            "As a userspace WireGuard implementation (like wireguard-go): cryptun [-f] IFNAME creates the"
                + " TUN device and /var/run/wireguard/IFNAME.sock for wg(8) and wg-quick(8), and runs in the"
                + " background unless -f is given: it returns once the interface answers on its socket, with"
                + " its standard output and error let go. Removing the socket or the device stops it, and so"
                + " do SIGTERM and SIGINT (exit status 0)."},
        subcommands = {
            UpCommand.class,
            MeshCommand.class,
            DemoCommand.class,
            GenKeyCommand.class,
            PubKeyCommand.class,
            GenPskCommand.class,
            ShowCommand.class,
            TrainCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Main implements java.util.concurrent.Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Parameters(index = "0", arity = "0..1", paramLabel = "IFNAME",
            description = "run interface IFNAME for wg/wg-quick (see above)")
    String ifname;

    @CommandLine.Option(names = {"-f", "--foreground"}, description = "stay in the foreground")
    boolean foreground;

    @CommandLine.Mixin
    DataPathOptions dataPath;

    public static void main(String[] args) {
        // Netty 4.2 asks Flight Recorder whether its buffer events are on at the first buffer it
        // allocates: that loads and sets up JFR (~100-250 ms, 16 annotation proxies) on the first
        // packet's path, and JFR event classes cannot be in the ahead-of-time cache.
        if (System.getProperty("io.netty.jfr.enabled") == null) {
            System.setProperty("io.netty.jfr.enabled", "false");
        }
        if (runsAnInterfaceHere(args)) {
            io.cryptun.cli.daemon.StartupWarmUp.beginEarly(cryptoOption(args));
        }
        quietLibraries();
        System.exit(run(args));
    }

    /**
     * Whether this process will run an interface itself: `up`, `demo`, or the interface form in the
     * foreground (the background form's parent only starts the daemon process). A guess from the
     * words alone, before parsing, so the warm-up can start at once; a wrong guess costs a short-lived
     * thread.
     */
    static boolean runsAnInterfaceHere(String[] args) {
        java.util.List<String> words = java.util.Arrays.asList(args);
        boolean foreground = "1".equals(System.getenv("WG_PROCESS_FOREGROUND"))
                || words.contains("-f") || words.contains("--foreground");
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals(DataPathOptions.CRYPTO) || a.equals(DataPathOptions.METRICS)) {
                i++;
            } else if (a.startsWith("-")) {
                if (!(a.equals("-f") || a.equals("--foreground") || a.startsWith(DataPathOptions.CRYPTO + "=")
                        || a.startsWith(DataPathOptions.METRICS + "="))) {
                    return false;
                }
            } else {
                return a.equals("up") || a.equals("demo") || (foreground && !SUBCOMMANDS.contains(a));
            }
        }
        return false;
    }

    /** The subcommands' names, from the annotation above (no command-line model is built for it). */
    private static final java.util.Set<String> SUBCOMMANDS = java.util.Arrays.stream(Main.class.getAnnotation(Command.class).subcommands())
            .map(c -> c.getAnnotation(Command.class).name()).collect(java.util.stream.Collectors.toUnmodifiableSet());

    /** The --crypto value among the words, or "auto". */
    static String cryptoOption(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals(DataPathOptions.CRYPTO) && i + 1 < args.length) {
                return args[i + 1];
            }
            if (args[i].startsWith(DataPathOptions.CRYPTO + "=")) {
                return args[i].substring(DataPathOptions.CRYPTO.length() + 1);
            }
        }
        return DataPathOptions.DEFAULT_CRYPTO;
    }

    /**
     * Netty logs through java.util.logging, with stack traces for conditions we handle ourselves
     * (a namespace without interfaces, say). Our own log says what matters, in one line.
     */
    static void quietLibraries() {
        NETTY_LOGGER.setLevel(java.util.logging.Level.OFF);
    }

    /** Held here: java.util.logging keeps loggers weakly, and a collected one forgets its level. */
    private static final java.util.logging.Logger NETTY_LOGGER = java.util.logging.Logger.getLogger("io.netty");

    /** Runs the command line and returns the exit code (tests call this directly). */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            // under systemd, the journal files these lines as errors
            String priority = JournalStream.isStderr() ? "<3>" : "";
            if (ex instanceof UserException) {
                cmd.getErr().println(priority + ex.getMessage());
                return ((UserException) ex).exitCode();
            }
            // anything else is a bug or an environment problem: one line, the trace only on request
            cmd.getErr().println(priority + "cryptun: " + (ex.getMessage() != null ? ex.getMessage() : ex.toString()));
            if ("verbose".equalsIgnoreCase(System.getenv("LOG_LEVEL"))) {
                ex.printStackTrace(cmd.getErr());
            }
            return 1;
        });
        return cl;
    }

    @Override
    public Integer call() throws Exception {
        if (ifname == null) {
            spec.commandLine().usage(spec.commandLine().getErr());
            return 2;
        }
        Optional<String> refusal = CommandWords.refusal(ifname, spec.subcommands().keySet());
        if (refusal.isPresent()) {
            spec.commandLine().getErr().println(refusal.get());
            return 2;
        }
        if (foreground || "1".equals(System.getenv("WG_PROCESS_FOREGROUND"))) {
            Readiness.detachFromSession();
            Log log = Log.fromEnvironment(ifname);
            Interface itf = Interface.start(ifname, 0, dataPath.crypto, log, dataPath.metrics);
            itf.openUapiSocket();
            itf.announceReady("interface " + itf.name() + " is running; configure it with wg(8)");
            itf.runUntilStopped();
            return 0;
        }
        // checked here too, so that a mistake is reported before a second JVM starts
        Interface.checkX25519(Interface.checkCrypto(dataPath.crypto));
        Interface.checkSocketFree(ifname);
        if (dataPath.metrics != null) {
            try {
                MetricsServer.address(dataPath.metrics);
            } catch (java.io.IOException e) {
                throw new UserException("--metrics " + dataPath.metrics + ": " + e.getMessage());
            }
        }
        return Background.start(ifname, dataPath.crypto, dataPath.metrics);
    }
}
