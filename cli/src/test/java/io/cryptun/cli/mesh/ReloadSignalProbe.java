package io.cryptun.cli.mesh;

/**
 * A process for {@link ReloadSignalTest}: installs the reload handler, says whether it could, then
 * prints "reloaded N" for each SIGHUP until its standard input closes.
 */
public final class ReloadSignalProbe {
    private ReloadSignalProbe() {
    }

    public static void main(String[] args) throws Exception {
        java.util.concurrent.atomic.AtomicInteger count = new java.util.concurrent.atomic.AtomicInteger();
        boolean installed = ReloadSignal.install(() -> {
            System.out.println("reloaded " + count.incrementAndGet());
            System.out.flush();
        });
        System.out.println("installed " + installed);
        System.out.flush();
        while (System.in.read() >= 0) {
            // until the test closes our input
        }
    }
}
