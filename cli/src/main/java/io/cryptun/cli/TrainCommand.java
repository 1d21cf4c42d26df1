package io.cryptun.cli;

import io.cryptun.cli.daemon.StartupWarmUp;
import io.cryptun.tun.TunDevice;
import io.cryptun.tun.TunException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cryptun train}: the training run the launcher records the JDK's ahead-of-time cache from
 * (JDK 25: {@code -XX:AOTCacheOutput}), so a daemon starts with the classes of its packet path
 * already loaded and linked and their method profiles known. It runs a daemon's start-up warm-up
 * ({@link StartupWarmUp}: in-memory handshakes and packets, UDP on loopback), longer, and the TUN
 * library's calls (the driver's feature query, which needs no privilege); it creates no device.
 */
@Command(name = "train", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Record the ahead-of-time cache interface daemons start from (JDK 25 and later; the package"
                + " does it at install, a daemon that finds none does it in the background). Creates no device.")
public final class TrainCommand implements java.util.concurrent.Callable<Integer> {
    @Option(names = "--handshakes", hidden = true, defaultValue = "300", description = "in-memory handshakes (default: ${DEFAULT-VALUE})")
    int handshakes;

    // what a daemon's start-up runs (StartupWarmUp.DEFAULT_PAIR_PACKETS): the cache then holds the
    // daemon's IO shells linked, and the daemon's own pair warm-up runs from it (its start ~250 ms
    // sooner than on a cache without them, idle memory within 0.3 MB: benchmarks/README.md)
    @Option(names = "--packets", hidden = true, defaultValue = "600",
            description = "packets through two throwaway daemons over loopback (default: ${DEFAULT-VALUE})")
    int packets;

    @Option(names = "--crypto", hidden = true, defaultValue = "auto", description = "ChaCha20-Poly1305 backend (default: ${DEFAULT-VALUE})")
    String crypto;

    @Override
    public Integer call() {
        // the daemon's choice of X25519 for this cipher: the training runs the code the daemon will
        Interface.checkX25519(Interface.checkCrypto(crypto));
        int datagrams = StartupWarmUp.runAll(handshakes, packets, crypto);
        String tun;
        try {
            tun = TunDevice.kernelFeatures().toString();
        } catch (TunException e) {
            tun = "unavailable (" + e.getMessage() + ")";
        }
        System.err.println("trained: " + handshakes + " handshakes in memory, " + datagrams
                + " packets over loopback; TUN features " + tun);
        return 0;
    }
}
