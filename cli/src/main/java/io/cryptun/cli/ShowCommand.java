package io.cryptun.cli;

import io.cryptun.cli.uapi.UapiClient;
import io.cryptun.cli.uapi.UapiConnection;
import io.cryptun.cli.uapi.UapiServer;
import io.cryptun.noise.crypto.Keys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cryptun show [IFNAME] [--json]}: the state `wg show` gives, plus cryptun's counters (drops
 * by reason, handshake events), read through the userspace API socket. Keys are never printed:
 * private key (hidden), pre-shared key (hidden), as wg does.
 */
@Command(name = "show", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "Show interfaces, peers and counters (all interfaces without IFNAME).")
public final class ShowCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "IFNAME")
    String ifname;

    @Option(names = "--json", description = "machine-readable output")
    boolean json;

    @Option(names = "--socket-dir", hidden = true, defaultValue = "/var/run/wireguard")
    Path socketDir;

    @Override
    public Integer call() throws IOException {
        List<String> names = new ArrayList<>();
        if (ifname != null) {
            names.add(ifname);
        } else if (Files.isDirectory(socketDir)) {
            try (Stream<Path> s = Files.list(socketDir)) {
                s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".sock"))
                        .map(n -> n.substring(0, n.length() - 5)).sorted().forEach(names::add);
            }
        }
        List<Object> all = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        int unreachable = 0;
        for (String name : names) {
            Map<String, Object> itf;
            if (ifname != null) {
                itf = read(name);
            } else {
                // As `wg show`: a socket whose daemon is gone is not an interface (wg's listing skips
                // it), and one that cannot be read is reported without hiding the others.
                try {
                    itf = read(name);
                } catch (StaleSocket e) {
                    continue;
                } catch (UserException e) {
                    System.err.println(e.getMessage());
                    unreachable++;
                    continue;
                }
            }
            all.add(itf);
            if (text.length() > 0) {
                text.append('\n');
            }
            text.append(format(itf));
        }
        if (json) {
            System.out.println(JsonWriter.write(ifname != null ? all.get(0) : all));
        } else {
            System.out.print(text);
        }
        return unreachable > 0 && all.isEmpty() ? 1 : 0;
    }

    /** The socket file is there but nothing listens: the daemon that made it has ended. */
    static final class StaleSocket extends UserException {
        private static final long serialVersionUID = 1L;

        StaleSocket(String message) {
            super(message);
        }
    }

    private Map<String, Object> read(String name) {
        Path sock = UapiServer.socketPath(socketDir, name);
        if (!Files.exists(sock)) {
            throw new StaleSocket("Unable to access interface " + name + ": No such file or directory");
        }
        List<Map.Entry<String, String>> get;
        List<Map.Entry<String, String>> statLines;
        try {
            get = UapiClient.lines(UapiClient.exchange(sock, "get=1\n\n"));
            statLines = UapiClient.lines(UapiClient.exchange(sock, UapiConnection.STATS_OP + "\n\n"));
        } catch (java.net.ConnectException e) {
            throw new StaleSocket("Unable to access interface " + name + ": Connection refused");
        } catch (IOException e) {
            throw new UserException("Unable to access interface " + name + ": " + e.getMessage());
        }
        Map<String, Object> itf = new LinkedHashMap<>();
        itf.put("interface", name);
        List<Map<String, Object>> peers = new ArrayList<>();
        Map<String, Object> cur = itf;
        for (Map.Entry<String, String> e : get) {
            String k = e.getKey();
            String v = e.getValue();
            switch (k) {
                case "private_key":
                    byte[] priv = Keys.fromHex(v);
                    itf.put("public_key", Keys.toBase64(io.cryptun.noise.crypto.X25519Keys.publicFromPrivate(priv)));
                    Keys.zero(priv);
                    break;
                case "listen_port":
                case "fwmark":
                    itf.put(k, Long.parseLong(v));
                    break;
                case "public_key":
                    cur = new LinkedHashMap<>();
                    cur.put("public_key", Keys.toBase64(Keys.fromHex(v)));
                    cur.put("allowed_ips", new ArrayList<String>());
                    peers.add(cur);
                    break;
                case "preshared_key":
                    cur.put("preshared_key", !Keys.isZero(Keys.fromHex(v)));
                    break;
                case "endpoint":
                    cur.put("endpoint", v);
                    break;
                case "last_handshake_time_sec":
                    cur.put("latest_handshake", Long.parseLong(v));
                    break;
                case "tx_bytes":
                case "rx_bytes":
                case "persistent_keepalive_interval":
                    cur.put(k, Long.parseLong(v));
                    break;
                case "allowed_ip":
                    @SuppressWarnings("unchecked")
                    List<String> ips = (List<String>) cur.get("allowed_ips");
                    ips.add(v);
                    break;
                default:
                    break;
            }
        }
        itf.put("peers", peers);
        Map<String, Object> drops = new LinkedHashMap<>();
        Map<String, Object> events = new LinkedHashMap<>();
        List<String> warnings = new ArrayList<>();
        String failingPeer = null;
        for (Map.Entry<String, String> e : statLines) {
            String k = e.getKey();
            String v = e.getValue();
            if (k.startsWith("drop_")) {
                drops.put(k.substring(5), Long.parseLong(v));
            } else if (k.startsWith("event_")) {
                events.put(k.substring(6), Long.parseLong(v));
            } else if (k.equals("warning")) {
                warnings.add(v);
            } else if (k.equals("failure_public_key")) {
                failingPeer = Keys.toBase64(Keys.fromHex(v));
            } else if (k.equals("failure_reason") && failingPeer != null) {
                for (Map<String, Object> p : peers) {
                    if (failingPeer.equals(p.get("public_key"))) {
                        p.put("handshake_failure", v);
                    }
                }
            }
        }
        itf.put("drops", drops);
        itf.put("events", events);
        itf.put("warnings", warnings);
        return itf;
    }

    @SuppressWarnings("unchecked")
    static String format(Map<String, Object> itf) {
        StringBuilder sb = new StringBuilder();
        sb.append("interface: ").append(itf.get("interface")).append('\n');
        if (itf.containsKey("public_key")) {
            sb.append("  public key: ").append(itf.get("public_key")).append('\n');
            sb.append("  private key: (hidden)\n");
        }
        if (itf.containsKey("listen_port")) {
            sb.append("  listening port: ").append(itf.get("listen_port")).append('\n');
        }
        if (itf.containsKey("fwmark")) {
            sb.append("  fwmark: 0x").append(Long.toHexString((Long) itf.get("fwmark"))).append('\n');
        }
        for (String w : (List<String>) itf.getOrDefault("warnings", List.of())) {
            sb.append("  warning: ").append(w).append('\n');
        }
        long now = System.currentTimeMillis() / 1000;
        for (Map<String, Object> p : (List<Map<String, Object>>) itf.get("peers")) {
            sb.append("\npeer: ").append(p.get("public_key")).append('\n');
            if (Boolean.TRUE.equals(p.get("preshared_key"))) {
                sb.append("  preshared key: (hidden)\n");
            }
            if (p.containsKey("endpoint")) {
                sb.append("  endpoint: ").append(p.get("endpoint")).append('\n');
            }
            List<String> ips = (List<String>) p.get("allowed_ips");
            sb.append("  allowed ips: ").append(ips.isEmpty() ? "(none)" : String.join(", ", ips)).append('\n');
            long hs = (Long) p.getOrDefault("latest_handshake", 0L);
            if (hs > 0) {
                sb.append("  latest handshake: ").append(ago(Math.max(0, now - hs))).append('\n');
            }
            long rx = (Long) p.getOrDefault("rx_bytes", 0L);
            long tx = (Long) p.getOrDefault("tx_bytes", 0L);
            if (rx > 0 || tx > 0) {
                sb.append("  transfer: ").append(bytes(rx)).append(" received, ").append(bytes(tx)).append(" sent\n");
            }
            if (p.containsKey("handshake_failure")) {
                sb.append("  handshake failing: ").append(p.get("handshake_failure")).append('\n');
            }
            long ka = (Long) p.getOrDefault("persistent_keepalive_interval", 0L);
            if (ka > 0) {
                sb.append("  persistent keepalive: every ").append(ago(ka).replace(" ago", "")).append('\n');
            }
        }
        Map<String, Object> drops = (Map<String, Object>) itf.get("drops");
        List<String> nonZero = new ArrayList<>();
        drops.forEach((k, v) -> {
            if ((Long) v > 0) {
                nonZero.add(k + " " + v);
            }
        });
        sb.append("\n  dropped packets: ").append(nonZero.isEmpty() ? "none" : String.join(", ", nonZero)).append('\n');
        return sb.toString();
    }

    static String ago(long seconds) {
        Duration d = Duration.ofSeconds(seconds);
        List<String> parts = new ArrayList<>();
        unit(parts, d.toDaysPart(), "day");
        unit(parts, d.toHoursPart(), "hour");
        unit(parts, d.toMinutesPart(), "minute");
        unit(parts, d.toSecondsPart(), "second");
        if (parts.isEmpty()) {
            return "Now";
        }
        return String.join(", ", parts) + " ago";
    }

    private static void unit(List<String> parts, long n, String name) {
        if (n > 0) {
            parts.add(n + " " + name + (n == 1 ? "" : "s"));
        }
    }

    static String bytes(long b) {
        if (b < 1024) {
            return b + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = b;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format("%.2f %s", v, units[u]);
    }
}
