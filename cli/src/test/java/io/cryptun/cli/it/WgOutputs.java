package io.cryptun.cli.it;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Makes the outputs of two WireGuard implementations comparable: the interface name becomes IF,
 * peers are put in one order (wireguard-go lists them in Go map order, which varies), and traffic
 * figures become "0" or "N" (so "no traffic" must still match exactly, while how much traffic a
 * retrying handshake has made by the time of the command may differ).
 */
public final class WgOutputs {
    private static final Pattern NUMBER = Pattern.compile("\\d+");

    private WgOutputs() {
    }

    /** Output of `wg show IF` (the pretty form): peer blocks sorted, transfer and handshake lines masked. */
    public static String pretty(String text, String ifname) {
        String t = text.replace(ifname, "IF");
        List<String> blocks = new ArrayList<>(Arrays.asList(t.split("\n\n")));
        List<String> out = new ArrayList<>();
        for (String b : blocks) {
            StringBuilder sb = new StringBuilder();
            for (String line : b.split("\n")) {
                if (line.startsWith("  transfer: ")) {
                    line = "  transfer: N";
                } else if (line.startsWith("  latest handshake: ")) {
                    line = "  latest handshake: N";
                }
                sb.append(line).append('\n');
            }
            out.add(sb.toString());
        }
        if (out.size() > 2) {
            List<String> peers = new ArrayList<>(out.subList(1, out.size()));
            peers.sort(null);
            out = new ArrayList<>(List.of(out.get(0)));
            out.addAll(peers);
        }
        return String.join("\n", out);
    }

    /** Output of `wg showconf IF`: [Peer] sections sorted. */
    public static String showconf(String text) {
        String[] parts = text.split("\n(?=\\[Peer\\])");
        List<String> peers = new ArrayList<>(Arrays.asList(parts).subList(1, parts.length));
        for (int i = 0; i < peers.size(); i++) {
            peers.set(i, peers.get(i).strip() + "\n");
        }
        peers.sort(null);
        return parts[0].strip() + "\n" + String.join("", peers);
    }

    /**
     * Tab-separated outputs (dump, peers, endpoints, allowed-ips, transfer, latest-handshakes, ...):
     * lines sorted; in dump peer lines the handshake and transfer columns masked; for the
     * transfer and latest-handshakes views, the numbers masked.
     */
    public static String lines(String text, String ifname, String view) {
        List<String> out = new ArrayList<>();
        for (String line : text.replace(ifname, "IF").split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split("\t", -1);
            if (view.equals("dump")) {
                // a peer line of `wg show IF dump` has 8 fields, of `wg show all dump` 9
                int base = f.length == 9 ? 1 : 0;
                if (f.length == 8 + base) {
                    for (int i = base + 4; i <= base + 6; i++) {
                        f[i] = zeroOrN(f[i]);
                    }
                }
            } else if (view.equals("transfer") || view.equals("latest-handshakes")) {
                for (int i = 1; i < f.length; i++) {
                    f[i] = zeroOrN(f[i]);
                }
            }
            out.add(String.join("\t", f));
        }
        out.sort(null);
        return String.join("\n", out) + "\n";
    }

    /** A raw get reply: peer blocks sorted, counters and handshake times as 0 or N. */
    public static String rawGet(String reply) {
        List<String> device = new ArrayList<>();
        List<String> peers = new ArrayList<>();
        StringBuilder peer = null;
        for (String line : reply.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            int eq = line.indexOf('=');
            String key = eq < 0 ? line : line.substring(0, eq);
            String value = eq < 0 ? "" : line.substring(eq + 1);
            if (key.equals("tx_bytes") || key.equals("rx_bytes") || key.startsWith("last_handshake_time")) {
                line = key + "=" + zeroOrN(value);
            }
            if (key.equals("public_key")) {
                if (peer != null) {
                    peers.add(peer.toString());
                }
                peer = new StringBuilder();
            }
            if (key.equals("errno")) {
                continue;
            }
            if (peer == null) {
                device.add(line);
            } else {
                peer.append(line).append('\n');
            }
        }
        if (peer != null) {
            peers.add(peer.toString());
        }
        peers.sort(null);
        return String.join("\n", device) + "\n" + String.join("", peers);
    }

    private static String zeroOrN(String v) {
        return NUMBER.matcher(v).matches() ? (v.equals("0") ? "0" : "N") : v;
    }
}
