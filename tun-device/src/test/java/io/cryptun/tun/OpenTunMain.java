package io.cryptun.tun;

/**
 * Run as a separate JVM by {@link TunErrorMessagesTest} under reduced privileges: opens a TUN device and prints
 * either {@code OPENED name} or {@code TunException errno message}.
 */
public final class OpenTunMain {

    private OpenTunMain() {
    }

    public static void main(String[] args) {
        try (TunDevice tun = TunDevice.open(args[0])) {
            System.out.println("OPENED " + tun.name());
        } catch (TunException e) {
            System.out.println("TunException " + e.errno() + " " + e.getMessage());
        }
    }
}
