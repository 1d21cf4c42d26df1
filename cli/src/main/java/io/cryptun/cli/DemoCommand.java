package io.cryptun.cli;

import io.cryptun.cli.demo.Demo;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code cryptun demo}: see {@link Demo}. */
@Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "Two network namespaces, cryptun on both sides (and wireguard-go on one if "
        + "installed), a ping through the tunnel; everything made is removed. Needs root.")
public final class DemoCommand implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        String jar = Path.of(DemoCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        try {
            return new Demo(System.out, java, jar).run();
        } catch (IllegalStateException e) {
            throw new UserException("demo: " + e.getMessage()
                    + (e.getMessage().contains("Operation not permitted") ? " (the demo needs root)" : ""));
        }
    }
}
