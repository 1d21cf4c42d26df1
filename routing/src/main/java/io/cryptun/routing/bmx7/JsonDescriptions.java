package io.cryptun.routing.bmx7;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.routing.NodeId;
import io.cryptun.routing.TunNetwork;

import java.net.Inet6Address;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Reads the json plugin's {@code descriptions/<NODEID>} files:
 * {@code {"descSha": ..., "extensions": [ {"DSC_NODE_KEY": [...]}, ... ]}}. The node id is only in
 * the file name, so the parser checks that {@code DSC_NODE_KEY} hashes to it; a file that does not
 * (or is cut short by bmx7's non-atomic rewrite) is rejected as a whole.
 */
public final class JsonDescriptions {
    private static final HexFormat HEX = HexFormat.of();

    private JsonDescriptions() {
    }

    /**
     * @param fileNodeId the node id taken from the file name
     * @throws IllegalArgumentException for truncated or inconsistent content
     */
    public static Bmx7Description parse(NodeId fileNodeId, String json) {
        Map<String, Object> root = JsonReader.parseObject(json);
        String descSha = JsonAccess.textOrNull(root, "descSha");
        List<Object> extensions = JsonAccess.list(root.get("extensions"), "extensions");
        long descSqn = -1;
        String hostname = null;
        boolean keyChecked = false;
        List<IpPrefix> hna6 = new ArrayList<>();
        List<Inet6Address> tun6 = new ArrayList<>();
        List<TunNetwork> nets = new ArrayList<>();
        TreeSet<String> sms = new TreeSet<>();
        for (Object ext : extensions) {
            Map<String, Object> e = JsonAccess.object(ext, "extension");
            for (Map.Entry<String, Object> tlv : e.entrySet()) {
                List<Object> msgs = JsonAccess.list(tlv.getValue(), tlv.getKey());
                for (Object m : msgs) {
                    Map<String, Object> msg = JsonAccess.object(m, tlv.getKey() + " message");
                    switch (tlv.getKey()) {
                        case "DSC_NODE_KEY" -> {
                            checkNodeKey(fileNodeId, (int) JsonAccess.integer(msg, "type"), JsonAccess.text(msg, "key"));
                            keyChecked = true;
                        }
                        case "DSC_VERSION" -> descSqn = JsonAccess.integer(msg, "descSqn");
                        case "DSC_HNA6" -> hna6.add(IpPrefix.of(ipv6(JsonAccess.text(msg, "address")),
                                (int) JsonAccess.integer(msg, "prefixLen")));
                        case "DSC_TUN6" -> tun6.add(ipv6(JsonAccess.text(msg, "localIp")));
                        case "DSC_TUN4IN6_NET" -> nets.add(tunNetwork(msg, true));
                        case "DSC_TUN6IN6_NET" -> nets.add(tunNetwork(msg, false));
                        case "DSC_INFO" -> hostname = infoName(msg);
                        case "DSC_SMS" -> sms.add(JsonAccess.text(msg, "name"));
                        default -> { }
                    }
                }
            }
        }
        if (!keyChecked) {
            throw new IllegalArgumentException("description of " + fileNodeId.shortId() + " has no DSC_NODE_KEY");
        }
        return new Bmx7Description(fileNodeId, descSha, descSqn, hostname, hna6, tun6, nets, sms, Map.of());
    }

    static void checkNodeKey(NodeId expected, int type, String keyHex) {
        byte[] modulus;
        try {
            modulus = HEX.parseHex(keyHex.toLowerCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("node key is not hex");
        }
        NodeId actual = NodeId.fromNodeKey(type, modulus);
        if (!actual.equals(expected)) {
            throw new IllegalArgumentException("node key hashes to " + actual.shortId() + ", not to " + expected.shortId());
        }
    }

    static TunNetwork tunNetwork(Map<String, Object> msg, boolean ipv4) {
        String net = JsonAccess.text(msg, "network");
        int len = (int) JsonAccess.integer(msg, "networkLen");
        return tunNetwork(net, len, JsonAccess.text(msg, "bandwidth"),
                msg.containsKey("tun6Id") ? (int) JsonAccess.integer(msg, "tun6Id") : 0,
                msg.containsKey("rtype") ? (int) JsonAccess.integer(msg, "rtype") : 0, ipv4);
    }

    static TunNetwork tunNetwork(String net, int len, String bandwidth, int tun6Id, int rtype, boolean ipv4) {
        byte[] addr = IpPrefix.parseNumericAddress(net);
        if ((addr.length == 4) != ipv4) {
            throw new IllegalArgumentException("tunnel network " + net + " has the wrong family");
        }
        return new TunNetwork(IpPrefix.of(addr, len), Bmx7Numbers.bandwidthFromDisplay(bandwidth), tun6Id, rtype);
    }

    static String infoName(Map<String, Object> msg) {
        return infoName((int) JsonAccess.integer(msg, "nameLen"), JsonAccess.text(msg, "variableInfoFields"));
    }

    static String infoName(int nameLen, String fieldsHex) {
        byte[] fields = HEX.parseHex(fieldsHex.toLowerCase(java.util.Locale.ROOT));
        if (nameLen < 0 || nameLen > fields.length) {
            throw new IllegalArgumentException("DSC_INFO nameLen beyond its fields");
        }
        return nameLen == 0 ? null : new String(fields, 0, nameLen, StandardCharsets.US_ASCII);
    }

    static Inet6Address ipv6(String text) {
        byte[] a = IpPrefix.parseNumericAddress(text);
        if (a.length != 16) {
            throw new IllegalArgumentException("'" + text + "' is not an IPv6 address");
        }
        try {
            // Inet6Address.getByAddress keeps IPv4-mapped addresses IPv6 (InetAddress would not)
            return Inet6Address.getByAddress(null, a, -1);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
