package io.cryptun.cli.it;

import io.cryptun.testkit.Netns;
import io.cryptun.testkit.NetnsSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Two namespaces joined by a veth pair, with IPv4 (198.18.0.1/.2) and IPv6 (fd00:a::1/::2)
 * underlay addresses: the hosts a tunnel test runs between. Closing it kills what ran inside
 * (by PID) and deletes both namespaces and the work directory.
 */
public final class TwoHosts implements AutoCloseable {
    private static final AtomicInteger COUNTER = new AtomicInteger();

    public final NetnsSet namespaces = new NetnsSet();
    public final Netns left;
    public final Netns right;
    public final Path workDir;
    /** A short unique tag for interface names (the UAPI socket directory is shared by all namespaces). */
    public final String tag;

    public TwoHosts(String prefix) throws IOException {
        tag = Long.toString(ProcessHandle.current().pid() % 1000, 36) + COUNTER.incrementAndGet();
        workDir = Files.createTempDirectory("cryptun-it-");
        try {
            left = namespaces.create(prefix + "l");
            right = namespaces.create(prefix + "r");
            Netns.veth(left, "ul", right, "ur");
            left.addAddress("ul", "198.18.0.1/24");
            right.addAddress("ur", "198.18.0.2/24");
            left.exec("ip", "address", "add", "fd00:a::1/64", "dev", "ul", "nodad").requireSuccess();
            right.exec("ip", "address", "add", "fd00:a::2/64", "dev", "ur", "nodad").requireSuccess();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    public String leftUnderlay(int family) {
        return family == 6 ? "fd00:a::1" : "198.18.0.1";
    }

    public String rightUnderlay(int family) {
        return family == 6 ? "fd00:a::2" : "198.18.0.2";
    }

    public static String endpoint(String host, int port) {
        return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
    }

    public String logs() {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> s = Files.list(workDir)) {
            s.filter(p -> p.toString().endsWith(".log")).sorted().forEach(p -> {
                try {
                    sb.append("---- ").append(p.getFileName()).append('\n').append(Files.readString(p));
                } catch (IOException e) {
                    sb.append(e).append('\n');
                }
            });
        } catch (IOException e) {
            sb.append(e);
        }
        return sb.toString();
    }

    @Override
    public void close() {
        namespaces.close();
        try (Stream<Path> s = Files.walk(workDir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }
}
