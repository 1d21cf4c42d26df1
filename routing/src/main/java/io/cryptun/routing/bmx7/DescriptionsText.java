package io.cryptun.routing.bmx7;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.routing.NodeId;
import io.cryptun.routing.TunNetwork;

import java.net.Inet6Address;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Reads the control socket's {@code descriptions} reply (best with {@code /r=0}, the only form
 * that shows sms contents). Each node starts with an unindented
 * {@code descSha=... nodeId=... name=... state=...} line, each TLV with a two-space-indented
 * {@code DSC_NAME=N (...):} line, and each message with a four-space-indented line of
 * {@code key=value} fields.
 */
public final class DescriptionsText {
    private static final HexFormat HEX = HexFormat.of();

    private DescriptionsText() {
    }

    /**
     * Parses a whole reply (with or without the trailing {@code $}, with or without the
     * {@code DESCRIPTIONS:} title). Node blocks are returned in reply order.
     *
     * @throws IllegalArgumentException when a block is inconsistent (e.g. its key does not hash to its id)
     */
    public static List<Bmx7Description> parse(String reply) {
        List<Bmx7Description> out = new ArrayList<>();
        Block block = null;
        String tlv = null;
        for (String raw : reply.split("\n", -1)) {
            String line = stripTrailing(raw);
            if (line.isEmpty() || line.equals("$") || line.equals("DESCRIPTIONS:")) {
                continue;
            }
            if (line.startsWith("descSha=")) {
                if (block != null) {
                    out.add(block.build());
                }
                block = new Block(fields(line));
                tlv = null;
            } else if (block == null) {
                throw new IllegalArgumentException("descriptions reply does not start with a node line: '" + line + "'");
            } else if (line.startsWith("    ")) {
                if (tlv == null) {
                    throw new IllegalArgumentException("message line outside a TLV block");
                }
                block.message(tlv, fields(line));
            } else if (line.startsWith("  ")) {
                String t = line.trim();
                int eq = t.indexOf('=');
                tlv = eq > 0 ? t.substring(0, eq) : t;
            } else {
                throw new IllegalArgumentException("unexpected line in descriptions reply: '" + line + "'");
            }
        }
        if (block != null) {
            out.add(block.build());
        }
        return out;
    }

    private static String stripTrailing(String s) {
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == '\r')) {
            end--;
        }
        if (end > 0 && s.charAt(end - 1) == ':' && s.startsWith("descSha=")) {
            end--;
        }
        return s.substring(0, end);
    }

    private static Map<String, String> fields(String line) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String token : line.trim().split(" +")) {
            int eq = token.indexOf('=');
            if (eq > 0) {
                map.put(token.substring(0, eq), token.substring(eq + 1));
            }
        }
        return map;
    }

    private static final class Block {
        private final NodeId nodeId;
        private final String descSha;
        private final String name;
        private long descSqn = -1;
        private String infoName;
        private boolean keyChecked;
        private final List<IpPrefix> hna6 = new ArrayList<>();
        private final List<Inet6Address> tun6 = new ArrayList<>();
        private final List<TunNetwork> nets = new ArrayList<>();
        private final TreeSet<String> smsNames = new TreeSet<>();
        private final Map<String, byte[]> smsData = new TreeMap<>();

        Block(Map<String, String> header) {
            String id = header.get("nodeId");
            if (id == null || !NodeId.isNodeIdText(id)) {
                throw new IllegalArgumentException("node line without a valid nodeId");
            }
            nodeId = NodeId.parse(id);
            descSha = header.get("descSha");
            String n = header.get("name");
            name = n == null || n.isEmpty() || n.equals("---") ? null : n;
        }

        void message(String tlv, Map<String, String> f) {
            switch (tlv) {
                case "DSC_NODE_KEY" -> {
                    if (f.containsKey("key")) {
                        JsonDescriptions.checkNodeKey(nodeId, Integer.parseInt(need(f, "type")), f.get("key"));
                        keyChecked = true;
                    }
                }
                case "DSC_VERSION" -> descSqn = Long.parseLong(need(f, "descSqn"));
                case "DSC_HNA6" -> hna6.add(IpPrefix.of(JsonDescriptions.ipv6(need(f, "address")),
                        Integer.parseInt(need(f, "prefixLen"))));
                case "DSC_TUN6" -> tun6.add(JsonDescriptions.ipv6(need(f, "localIp")));
                case "DSC_TUN4IN6_NET", "DSC_TUN6IN6_NET" -> nets.add(JsonDescriptions.tunNetwork(need(f, "network"),
                        Integer.parseInt(need(f, "networkLen")), need(f, "bandwidth"),
                        Integer.parseInt(f.getOrDefault("tun6Id", "0")), Integer.parseInt(f.getOrDefault("rtype", "0")),
                        tlv.equals("DSC_TUN4IN6_NET")));
                case "DSC_INFO" -> infoName = JsonDescriptions.infoName(Integer.parseInt(need(f, "nameLen")),
                        need(f, "variableInfoFields"));
                case "DSC_SMS" -> sms(f);
                default -> { }
            }
        }

        private void sms(Map<String, String> f) {
            String smsName = need(f, "name");
            smsNames.add(smsName);
            String data = f.get("data");
            if (data == null) {
                return;
            }
            byte[] bytes = HEX.parseHex(data.toLowerCase(Locale.ROOT));
            String len = f.get("len");
            if (len != null && Long.parseLong(len) != bytes.length) {
                throw new IllegalArgumentException("sms " + smsName + " of " + nodeId.shortId() + ": len=" + len
                        + " but " + bytes.length + " data bytes");
            }
            smsData.put(smsName, bytes);
        }

        private static String need(Map<String, String> f, String key) {
            String v = f.get(key);
            if (v == null) {
                throw new IllegalArgumentException("field '" + key + "' missing");
            }
            return v;
        }

        Bmx7Description build() {
            if (!keyChecked) {
                throw new IllegalArgumentException("description of " + nodeId.shortId() + " shows no node key");
            }
            Map<String, byte[]> data = new HashMap<>(smsData);
            return new Bmx7Description(nodeId, descSha, descSqn, name != null ? name : infoName, hna6, tun6, nets,
                    smsNames, data);
        }
    }
}
