package io.cryptun.routing.bmx7;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.routing.NodeId;
import io.cryptun.routing.TunNetwork;

import java.net.Inet6Address;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The parts of one node's bmx7 description cryptun uses, read from the json plugin's
 * {@code descriptions/<NODEID>} file or from the control socket's {@code descriptions} reply.
 * Parsers only build one after checking that the node key hashes to the node id.
 */
public final class Bmx7Description {
    private final NodeId nodeId;
    private final String descSha;
    private final long descSqn;
    private final String hostname;
    private final List<IpPrefix> hna6;
    private final List<Inet6Address> tunnelAddresses;
    private final List<TunNetwork> tunNetworks;
    private final Set<String> smsNames;
    private final Map<String, byte[]> smsData;

    /**
     * @param descSha         description hash (56 hex), or null when not known
     * @param descSqn         description sequence number, or -1
     * @param hostname        the node's hostname, or null
     * @param hna6            announced HNA6 prefixes (primary /128 among them)
     * @param tunnelAddresses the {@code DSC_TUN6} local tunnel addresses (fd71:...)
     * @param tunNetworks     announced tunnel networks, both families
     * @param smsNames        names of the sms files this description carries
     * @param smsData         contents of sms files where the source shows them (socket {@code /r=0}); may be empty
     */
    public Bmx7Description(NodeId nodeId, String descSha, long descSqn, String hostname, List<IpPrefix> hna6,
                           List<Inet6Address> tunnelAddresses, List<TunNetwork> tunNetworks, Set<String> smsNames,
                           Map<String, byte[]> smsData) {
        this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
        this.descSha = descSha;
        this.descSqn = descSqn;
        this.hostname = hostname;
        this.hna6 = List.copyOf(hna6);
        this.tunnelAddresses = List.copyOf(tunnelAddresses);
        this.tunNetworks = List.copyOf(tunNetworks);
        this.smsNames = Collections.unmodifiableSet(new TreeSet<>(smsNames));
        TreeMap<String, byte[]> data = new TreeMap<>();
        smsData.forEach((k, v) -> data.put(k, v.clone()));
        this.smsData = Collections.unmodifiableMap(data);
    }

    public NodeId nodeId() {
        return nodeId;
    }

    /** The description hash, or null. It changes with every new description of the node. */
    public String descSha() {
        return descSha;
    }

    public long descSqn() {
        return descSqn;
    }

    /** The hostname, or null when the description carries none. */
    public String hostname() {
        return hostname;
    }

    public List<IpPrefix> hna6() {
        return hna6;
    }

    public List<Inet6Address> tunnelAddresses() {
        return tunnelAddresses;
    }

    public List<TunNetwork> tunNetworks() {
        return tunNetworks;
    }

    public Set<String> smsNames() {
        return smsNames;
    }

    /** True when this description lists an sms file of that name. */
    public boolean carriesSms(String name) {
        return smsNames.contains(name);
    }

    /** The sms file's content when the source showed it (socket {@code descriptions /r=0}); a copy. */
    public Optional<byte[]> smsData(String name) {
        byte[] d = smsData.get(name);
        return d == null ? Optional.empty() : Optional.of(d.clone());
    }

    /** True when the node announces its id-derived primary address as a /128 HNA. */
    public boolean announcesPrimaryAddress() {
        IpPrefix primary = IpPrefix.of(nodeId.primaryAddress(), 128);
        return hna6.contains(primary);
    }

    @Override
    public String toString() {
        return "Bmx7Description[" + nodeId.shortId() + " " + hostname + " sqn=" + descSqn + " nets=" + tunNetworks
                + " sms=" + smsNames + "]";
    }
}
