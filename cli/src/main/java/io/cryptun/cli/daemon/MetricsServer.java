package io.cryptun.cli.daemon;

import com.sun.net.httpserver.HttpServer;
import io.cryptun.noise.crypto.Keys;
import io.cryptun.noise.device.Device;
import io.cryptun.noise.device.Peer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * Prometheus text metrics on a loopback address (off unless asked for): peers, bytes, handshakes
 * and drops by reason. Public keys label peers; nothing secret is exposed.
 */
public final class MetricsServer implements AutoCloseable {
    private final HttpServer server;

    private MetricsServer(HttpServer server) {
        this.server = server;
    }

    /**
     * Checks {@code hostPort} ("127.0.0.1:9586", "[::1]:9586") without binding anything: HOST:PORT,
     * a port number, a loopback address.
     */
    public static InetSocketAddress address(String hostPort) throws IOException {
        int colon = hostPort.lastIndexOf(':');
        if (colon < 0) {
            throw new IOException("metrics address must be HOST:PORT, e.g. 127.0.0.1:9586");
        }
        String host = hostPort.substring(0, colon).replace("[", "").replace("]", "");
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IOException("bad metrics port in '" + hostPort + "'");
        }
        if (port < 0 || port > 65535) {
            throw new IOException("bad metrics port in '" + hostPort + "'");
        }
        InetAddress addr = InetAddress.getByName(host);
        if (!addr.isLoopbackAddress()) {
            throw new IOException("metrics are served on loopback only; " + host + " is not a loopback address");
        }
        return new InetSocketAddress(addr, port);
    }

    /**
     * Binds {@code hostPort} (see {@link #address}) and serves nothing yet: done before the TUN
     * device exists, so a bad address or a port in use leaves nothing behind.
     */
    public static MetricsServer bind(String hostPort) throws IOException {
        return new MetricsServer(HttpServer.create(address(hostPort), 4));
    }

    /** Starts serving {@code device}'s metrics on the bound address. */
    public void serve(String ifname, Device device) {
        server.createContext("/metrics", ex -> {
            byte[] body = render(ifname, device).getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body);
            }
        });
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "cryptun-metrics");
            t.setDaemon(true);
            return t;
        }));
        server.start();
    }

    /** Binds and serves at once (tests and callers that have the device already). */
    public static MetricsServer start(String hostPort, String ifname, Device device) throws IOException {
        MetricsServer m = bind(hostPort);
        m.serve(ifname, device);
        return m;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    static String render(String ifname, Device device) {
        StringBuilder sb = new StringBuilder(2048);
        String itf = "interface=\"" + ifname + "\"";
        sb.append("# HELP cryptun_peers Configured peers.\n# TYPE cryptun_peers gauge\n");
        sb.append("cryptun_peers{").append(itf).append("} ").append(device.peerCount()).append('\n');
        sb.append("# HELP cryptun_dropped_packets_total Packets dropped, by reason.\n");
        sb.append("# TYPE cryptun_dropped_packets_total counter\n");
        device.stats().dropsByReason().forEach((r, n) -> sb.append("cryptun_dropped_packets_total{").append(itf)
                .append(",reason=\"").append(r.name().toLowerCase()).append("\"} ").append(n).append('\n'));
        sb.append("# HELP cryptun_events_total Handshake and session events.\n# TYPE cryptun_events_total counter\n");
        device.stats().eventCounts().forEach((e, n) -> sb.append("cryptun_events_total{").append(itf)
                .append(",event=\"").append(e.name().toLowerCase()).append("\"} ").append(n).append('\n'));
        sb.append("# HELP cryptun_peer_received_bytes_total Bytes received from a peer.\n");
        sb.append("# TYPE cryptun_peer_received_bytes_total counter\n");
        StringBuilder tx = new StringBuilder("# HELP cryptun_peer_sent_bytes_total Bytes sent to a peer.\n"
                + "# TYPE cryptun_peer_sent_bytes_total counter\n");
        StringBuilder hs = new StringBuilder("# HELP cryptun_peer_last_handshake_seconds Unix time of the last handshake.\n"
                + "# TYPE cryptun_peer_last_handshake_seconds gauge\n");
        for (Peer p : device.peers()) {
            String label = "{" + itf + ",public_key=\"" + Keys.toBase64(p.publicKey()) + "\"} ";
            sb.append("cryptun_peer_received_bytes_total").append(label).append(p.rxBytes()).append('\n');
            tx.append("cryptun_peer_sent_bytes_total").append(label).append(p.txBytes()).append('\n');
            hs.append("cryptun_peer_last_handshake_seconds").append(label).append(p.lastHandshakeUnixNanos() / 1_000_000_000L).append('\n');
        }
        return sb.append(tx).append(hs).toString();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
