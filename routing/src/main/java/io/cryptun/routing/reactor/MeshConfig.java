package io.cryptun.routing.reactor;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.routing.CryptMode;
import io.cryptun.routing.CryptunRecord;
import io.cryptun.routing.NodeId;
import io.cryptun.routing.TunnelSearch;
import io.cryptun.routing.bmx7.Bmx7Limits;
import io.cryptun.routing.mesh.LocalSettings;
import io.cryptun.routing.mesh.OfferedNetwork;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Everything the reactor needs to know about this node before bmx7 tells it who it is.
 *
 * @param runtimeDir            bmx7's runtime directory ({@code /var/run/bmx7}): sock, json/, sms/
 * @param smsName               the sms file name the record travels under
 * @param ownRecord             this node's record: public key, listen port, tunnel sources
 * @param mode                  crypt-tun mode
 * @param searches              tunnel searches (bmx7's tunOut semantics)
 * @param offers                networks this node offers as a gateway (announced as bmx7 tunIn)
 * @param allowList             node ids allowed to peer, or null for everyone
 * @param acceptedClientSources client tunnel sources accepted on the gateway side (empty: any)
 * @param graceMillis           how long a missing or half-written bmx7 file keeps its last good content
 */
public record MeshConfig(Path runtimeDir, String smsName, CryptunRecord ownRecord, CryptMode mode,
                         List<TunnelSearch> searches, List<OfferedNetwork> offers, Set<NodeId> allowList,
                         List<IpPrefix> acceptedClientSources, long graceMillis) {
    public static final String DEFAULT_SMS_NAME = "cryptun";
    /** Long enough for bmx7's delete-then-rewrite (a few ms), short enough to follow departures at once. */
    public static final long DEFAULT_GRACE_MILLIS = 500;

    public MeshConfig {
        Objects.requireNonNull(runtimeDir, "runtimeDir");
        Objects.requireNonNull(ownRecord, "ownRecord");
        Objects.requireNonNull(mode, "mode");
        String badName = Bmx7Limits.checkName("sms name", smsName, Bmx7Limits.MAX_SMS_NAME_LENGTH);
        if (badName != null) {
            throw new IllegalArgumentException(badName);
        }
        searches = List.copyOf(searches);
        offers = List.copyOf(offers);
        Set<String> names = new HashSet<>();
        for (OfferedNetwork o : offers) {
            if (!names.add(o.name())) {
                throw new IllegalArgumentException("offered network name '" + o.name() + "' used twice");
            }
        }
        checkTableRules(searches);
        allowList = allowList == null ? null : Set.copyOf(allowList);
        acceptedClientSources = List.copyOf(acceptedClientSources);
        if (graceMillis < 0) {
            throw new IllegalArgumentException("grace must not be negative");
        }
        // LocalSettings checks the rest (unique search names); fail now, not when bmx7 answers
        new LocalSettings(NodeId.of(new byte[NodeId.LENGTH]), ownRecord, mode, searches, offers, allowList,
                acceptedClientSources);
    }

    /**
     * bmx7 pairs each table with one rule preference: it refuses a tunOut whose table another
     * tunOut uses with another preference, or whose preference another uses with another table
     * (opt_tun_search, src/lib/bmx7_tun/tun.c). prefer and off mode hand the searches over, so
     * such a pair is refused here, at start.
     */
    private static void checkTableRules(List<TunnelSearch> searches) {
        for (int i = 0; i < searches.size(); i++) {
            for (int j = i + 1; j < searches.size(); j++) {
                TunnelSearch a = searches.get(i);
                TunnelSearch b = searches.get(j);
                if ((a.table() == b.table()) != (a.tablePref() == b.tablePref())) {
                    throw new IllegalArgumentException("search " + b.name() + " has tableRule " + b.tablePref() + "/"
                            + b.table() + " but search " + a.name() + " has " + a.tablePref() + "/" + a.table()
                            + ": bmx7 combines each table with one rule preference only");
                }
            }
        }
    }

    /** A configuration with the defaults for sms name and grace, no allow-list and any client source. */
    public static MeshConfig of(Path runtimeDir, CryptunRecord ownRecord, CryptMode mode, List<TunnelSearch> searches,
                                List<OfferedNetwork> offers) {
        return new MeshConfig(runtimeDir, DEFAULT_SMS_NAME, ownRecord, mode, searches, offers, null, List.of(),
                DEFAULT_GRACE_MILLIS);
    }

    public MeshConfig withMode(CryptMode m) {
        return new MeshConfig(runtimeDir, smsName, ownRecord, m, searches, offers, allowList, acceptedClientSources,
                graceMillis);
    }

    public MeshConfig withAllowList(Set<NodeId> a) {
        return new MeshConfig(runtimeDir, smsName, ownRecord, mode, searches, offers, a, acceptedClientSources,
                graceMillis);
    }

    /** The planner's settings once bmx7 has said which node this is. */
    public LocalSettings settingsFor(NodeId self) {
        return new LocalSettings(self, ownRecord, mode, searches, offers, allowList, acceptedClientSources);
    }

    public Path socketPath() {
        return runtimeDir.resolve("sock");
    }

    public Path jsonDir() {
        return runtimeDir.resolve("json");
    }

    public Path receivedSmsDir() {
        return runtimeDir.resolve("sms").resolve("rcvdSms");
    }

    public Path sendSmsDir() {
        return runtimeDir.resolve("sms").resolve("sendSms");
    }
}
