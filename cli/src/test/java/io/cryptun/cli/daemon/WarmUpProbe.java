package io.cryptun.cli.daemon;

/**
 * A JVM that runs the start-up warm-up's in-memory handshakes as a daemon's does and then waits,
 * for a test to read which methods the JIT compiled ({@code jcmd PID Compiler.codelist}).
 */
public final class WarmUpProbe {
    private WarmUpProbe() {
    }

    public static void main(String[] args) throws InterruptedException {
        DeviceWarmUp.run(StartupWarmUp.DEFAULT_HANDSHAKES, 16, "auto");
        CompilerQuiet.await(StartupWarmUp.COMPILER_QUIET_MAX_MILLIS, 30);
        System.out.println("warm");
        System.out.flush();
        Thread.sleep(120_000);
    }
}
