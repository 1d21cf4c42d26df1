package io.cryptun.cli.it.standin;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.routing.NodeId;
import io.cryptun.routing.bmx7.Bmx7Configuration;
import io.cryptun.routing.bmx7.Bmx7Numbers;
import io.cryptun.routing.bmx7.Bmx7Options;
import io.cryptun.routing.bmx7.JsonReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One synthetic bmx7 node: an RSA2048-like node key (a made-up modulus; its node id is
 * SHA-224(0x00 ‖ 6 ‖ modulus) as bmx7 computes it), a tunDev with IPv4 and IPv6 addresses, the
 * options set through its control socket (syncSms, tunIn, tunOut), the sms files it publishes,
 * and its runtime directory ({@code sock}, {@code json/}, {@code sms/}). The json it writes is
 * built from the captured files, with this node's values put in.
 */
public final class StandInNode {
    static final int KEY_TYPE_RSA2048 = 6;
    private static final HexFormat HEX = HexFormat.of().withUpperCase();
    private static final String TEMPLATE_ID = "1A5C9522FE2AE9AC41ADD74AB5DC6E014FAECE783A8BB03024C3772C";

    /** A network announced with tunIn. */
    record Offer(IpPrefix network, long bandwidth) {
    }

    final SyntheticMesh mesh;
    public final String hostname;
    final byte[] modulus;
    public final NodeId id;
    public final Path runtimeDir;
    final IpPrefix tun4;
    final IpPrefix tun6;
    final String tun6Text;
    /** bmx7's configuration: what it was started with, and what its socket set since (bmx7's rules). */
    final Bmx7Configuration config;
    /** The sms files as the current description carries them. */
    final Map<String, byte[]> smsData = new TreeMap<>();
    long descSqn = 100;
    long bootSqn = 11;
    boolean up = true;
    private final List<String> requests = new ArrayList<>();
    ControlSocket socket;

    StandInNode(SyntheticMesh mesh, String hostname, Path runtimeDir, String tun4Address, String tun6Address,
                SecureRandom random) {
        this.mesh = mesh;
        this.hostname = hostname;
        this.runtimeDir = runtimeDir;
        this.modulus = new byte[256];
        random.nextBytes(modulus);
        modulus[0] |= (byte) 0x80;
        modulus[255] |= 1;
        this.id = NodeId.fromNodeKey(KEY_TYPE_RSA2048, modulus);
        this.tun4 = tun4Address == null ? null : IpPrefix.parse(tun4Address);
        this.tun6 = tun6Address == null ? null : IpPrefix.parse(tun6Address);
        this.tun6Text = tun6Address;
        this.config = new Bmx7Configuration(startOptions());
    }

    /** The command line's options, as the json plugin's parameters file shows them. */
    private Bmx7Options startOptions() {
        Map<String, List<Bmx7Options.Instance>> m = new LinkedHashMap<>();
        m.put("runtimeDir", List.of(new Bmx7Options.Instance(runtimeDir.toString(), Map.of())));
        m.put("plugin", List.of(new Bmx7Options.Instance("bmx7_tun.so", Map.of()), new Bmx7Options.Instance("bmx7_sms.so", Map.of()),
                new Bmx7Options.Instance("bmx7_json.so", Map.of())));
        m.put("hostname", List.of(new Bmx7Options.Instance(hostname, Map.of())));
        if (hasTunDev()) {
            Map<String, String> c = new LinkedHashMap<>();
            if (tun4 != null) {
                c.put("tun4Address", tun4.toString());
            }
            if (tun6Text != null) {
                c.put("tun6Address", tun6Text);
            }
            m.put("tunDev", List.of(new Bmx7Options.Instance("Default", c)));
        }
        m.put("jsonUpdateInterval", List.of(new Bmx7Options.Instance("1000", Map.of())));
        return new Bmx7Options(m);
    }

    /** bmx7 restarting: everything set through the socket is forgotten. */
    void restart() {
        config.reset(startOptions());
        smsData.clear();
        bootSqn++;
        descSqn += 100;
    }

    /** The sms names bmx7 publishes (syncSms). */
    List<String> syncedSms() {
        List<String> out = new ArrayList<>();
        config.snapshot().get("syncSms").forEach(i -> out.add(i.value()));
        return out;
    }

    /** The networks offered with tunIn: bmx7's default bandwidth when none is given. */
    List<Offer> offers() {
        List<Offer> out = new ArrayList<>();
        for (Bmx7Options.Instance i : config.snapshot().get("tunIn")) {
            String net = i.children().get("network");
            if (net != null) {
                String bw = i.children().get("bandwidth");
                out.add(new Offer(IpPrefix.parse(net), bw == null ? Bmx7Numbers.DEFAULT_BANDWIDTH
                        : Long.parseLong(bw.startsWith("+") ? bw.substring(1) : bw)));
            }
        }
        return out;
    }

    /** Every request that reached this node's control socket, without the end marker, in order. */
    public List<String> requests() {
        synchronized (mesh) {
            return List.copyOf(requests);
        }
    }

    void record(String request) {
        requests.add(request);
    }

    /** bmx7's configuration now, as its parameters show it. */
    public Bmx7Options parameters() {
        synchronized (mesh) {
            return config.snapshot();
        }
    }

    public Path socketPath() {
        return runtimeDir.resolve("sock");
    }

    public Path sendSms(String name) {
        return runtimeDir.resolve("sms/sendSms").resolve(name);
    }

    public Path rcvdSms(NodeId of, String name) {
        return runtimeDir.resolve("sms/rcvdSms").resolve(of + ":" + name);
    }

    public String primaryAddress() {
        return IpPrefix.hostString(id.primaryAddress().getAddress());
    }

    String tunnelAddress() {
        return IpPrefix.hostString(id.tunnelAddress().getAddress());
    }

    String linkLocal() {
        byte[] b = id.bytes();
        return String.format("fe80::%x:%x:%x:%x", ((b[20] & 0xff) << 8) | (b[21] & 0xff), ((b[22] & 0xff) << 8) | (b[23] & 0xff),
                ((b[24] & 0xff) << 8) | (b[25] & 0xff), ((b[26] & 0xff) << 8) | (b[27] & 0xff));
    }

    boolean hasTunDev() {
        return tun4 != null || tun6 != null;
    }

    // ------------------------------------------------------------------ json rendering

    private static Map<String, Object> template(String file) {
        // the parser's maps are read-only: a modifiable copy
        return deepCopy(JsonReader.parseObject(FixtureFiles.text(file)));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> templateExtension(List<Object> extensions, String name) {
        for (Object o : extensions) {
            Map<String, Object> m = (Map<String, Object>) o;
            if (m.containsKey(name)) {
                return deepCopy(m);
            }
        }
        throw new IllegalStateException("template description has no " + name);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> deepCopy(Map<String, Object> m) {
        Map<String, Object> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, v instanceof Map ? deepCopy((Map<String, Object>) v)
                : v instanceof List<?> l ? deepCopyList((List<Object>) l) : v));
        return out;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> deepCopyList(List<Object> l) {
        List<Object> out = new ArrayList<>();
        for (Object v : l) {
            out.add(v instanceof Map ? deepCopy((Map<String, Object>) v) : v instanceof List<?> x ? deepCopyList((List<Object>) x) : v);
        }
        return out;
    }

    private static Map<String, Object> ext(String name, List<Object> messages) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(name, messages);
        return m;
    }

    private static Map<String, Object> obj(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> messages(Map<String, Object> extension, String name) {
        return (List<Object>) extension.get(name);
    }

    /** The description as the json plugin writes {@code descriptions/<NODEID>}, from the captured one of node C. */
    @SuppressWarnings("unchecked")
    String descriptionJson() {
        Map<String, Object> tpl = template("json/descriptions/" + TEMPLATE_ID);
        List<Object> tplExt = (List<Object>) tpl.get("extensions");
        List<Object> ext = new ArrayList<>();
        ext.add(ext("DSC_NODE_KEY", List.of(obj("type", (long) KEY_TYPE_RSA2048, "key", HEX.formatHex(modulus)))));
        ext.add(templateExtension(tplExt, "DSC_SIGNATURE"));
        Map<String, Object> version = templateExtension(tplExt, "DSC_VERSION");
        Map<String, Object> v = (Map<String, Object>) messages(version, "DSC_VERSION").get(0);
        v.put("bootSqn", bootSqn);
        v.put("descSqn", descSqn);
        ext.add(version);
        ext.add(templateExtension(tplExt, "DSC_RSA_LINK_KEY"));
        ext.add(templateExtension(tplExt, "DSC_DHM_LINK_KEY"));
        ext.add(templateExtension(tplExt, "DSC_METRIC"));
        ext.add(ext("DSC_LLIP", List.of(obj("address", linkLocal()))));
        List<Object> hna = new ArrayList<>(List.of(obj("prefixLen", 128L, "address", primaryAddress())));
        if (hasTunDev()) {
            hna.add(obj("prefixLen", 128L, "address", tunnelAddress()));
            ext.add(ext("DSC_HNA6", hna));
            ext.add(ext("DSC_TUN6", List.of(obj("localIp", tunnelAddress()))));
        } else {
            ext.add(ext("DSC_HNA6", hna));
        }
        List<Object> v4 = new ArrayList<>();
        List<Object> v6 = new ArrayList<>();
        if (tun4 != null) {
            v4.add(net(tun4, Bmx7Numbers.UMETRIC_MAX));
        }
        if (tun6 != null) {
            v6.add(net(IpPrefix.of(tun6.address(), tun6.length()), Bmx7Numbers.UMETRIC_MAX));
        }
        for (Offer o : offers()) {
            (o.network.isIpv4() ? v4 : v6).add(net(o.network, Bmx7Numbers.quantizeBandwidth(o.bandwidth)));
        }
        if (!v4.isEmpty()) {
            ext.add(ext("DSC_TUN4IN6_NET", v4));
        }
        if (!v6.isEmpty()) {
            ext.add(ext("DSC_TUN6IN6_NET", v6));
        }
        Map<String, Object> info = templateExtension(tplExt, "DSC_INFO");
        Map<String, Object> i = (Map<String, Object>) messages(info, "DSC_INFO").get(0);
        byte[] name = hostname.getBytes(StandardCharsets.US_ASCII);
        i.put("nameLen", (long) name.length);
        i.put("variableInfoFields", HEX.formatHex(name));
        ext.add(info);
        if (!smsData.isEmpty()) {
            List<Object> sms = new ArrayList<>();
            smsData.keySet().forEach(n -> sms.add(obj("name", n)));
            ext.add(ext("DSC_SMS", sms));
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("descSha", descSha());
        root.put("extensions", ext);
        return JsonWriter.write(root);
    }

    private static Map<String, Object> net(IpPrefix p, long bandwidth) {
        return obj("tun6Id", 0L, "rtype", 0L, "bandwidth", Bmx7Numbers.formatCompact(bandwidth), "networkLen", (long) p.length(),
                "network", IpPrefix.hostString(p.address()));
    }

    String descSha() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-224");
            md.update(id.bytes());
            md.update(Long.toString(descSqn).getBytes(StandardCharsets.US_ASCII));
            return HEX.formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code originators/<NODEID>} of this node as {@code viewer} sees it, from the captured one of node C. */
    String originatorJson(StandInNode viewer, long metric, int hops, StandInNode nextHop) {
        Map<String, Object> o = template("json/originators/" + TEMPLATE_ID);
        o.put("shortId", id.shortId());
        o.put("nodeId", id.toString());
        o.put("name", hostname);
        o.put("shortDHash", descSha().substring(0, 8));
        o.put("descSqn", descSqn);
        o.put("descSqnMin", descSqn);
        o.put("primaryIp", primaryAddress());
        o.put("metric", Bmx7Numbers.formatCompact(metric));
        o.put("hops", (long) hops);
        boolean self = viewer == this;
        o.put("dev", self ? "---" : "v" + viewer.hostname + "0");
        o.put("nbShortId", nextHop == null ? "---" : nextHop.id.shortId());
        o.put("nbNodeId", nextHop == null ? "---" : nextHop.id.toString());
        o.put("nbName", nextHop == null ? "---" : nextHop.hostname);
        o.put("nbLocalIp", nextHop == null ? "::" : nextHop.linkLocal());
        return JsonWriter.write(o);
    }

    /** The json plugin's {@code status}, from the captured one. */
    @SuppressWarnings("unchecked")
    String statusJson(int nodesKnown) {
        Map<String, Object> root = template("json/status");
        Map<String, Object> s = (Map<String, Object>) root.get("status");
        s.put("shortId", id.shortId());
        s.put("nodeId", id.toString());
        s.put("name", hostname);
        s.put("primaryIp", primaryAddress());
        s.put("tun6Address", tun6Text == null ? "---" : tun6Text);
        s.put("tun4Address", tun4 == null ? "---" : tun4.toString());
        s.put("descSqn", descSqn);
        s.put("nodes", nodesKnown + "/" + nodesKnown);
        return JsonWriter.write(root);
    }

    /** The json plugin's {@code parameters}: the configuration as it is now. */
    String parametersJson() {
        return config.parametersJson();
    }



    // ------------------------------------------------------------------ files

    void createDirectories() throws IOException {
        for (String d : List.of("json/descriptions", "json/originators", "json/netjson", "sms/sendSms", "sms/rcvdSms")) {
            Files.createDirectories(runtimeDir.resolve(d));
        }
    }

    /** Reads the published sms file now: null when it is absent (or not readable). */
    byte[] readSendSms(String name) {
        try {
            Path p = sendSms(name);
            if (!Files.isRegularFile(p) || Files.size(p) > 70_000) {
                return null;
            }
            return Files.readAllBytes(p);
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public String toString() {
        return hostname + "(" + id.shortId() + ")";
    }
}
