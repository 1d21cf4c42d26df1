package io.cryptun.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code cryptun demo}: see {@link io.cryptun.cli.demo.Demo}. */
@Command(name = "demo", description = "Two network namespaces, cryptun on both sides (and wireguard-go on one if "
        + "installed), a ping through the tunnel; everything made is removed. Needs root.")
public final class DemoCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new UserException("demo: not yet");
    }
}
