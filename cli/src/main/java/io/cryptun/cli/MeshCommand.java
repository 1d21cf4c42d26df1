package io.cryptun.cli;

import io.cryptun.cli.mesh.IpRouteTable;
import io.cryptun.cli.mesh.MeshOptions;
import io.cryptun.cli.mesh.ReloadSignal;
import io.cryptun.cli.process.Log;
import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.noise.crypto.Keys;
import io.cryptun.noise.crypto.X25519Keys;
import io.cryptun.noise.device.Device;
import io.cryptun.routing.CryptMode;
import io.cryptun.routing.CryptunRecord;
import io.cryptun.routing.NodeId;
import io.cryptun.routing.TunnelSearch;
import io.cryptun.routing.bmx7.Bmx7ControlClient;
import io.cryptun.routing.bmx7.Bmx7NodeKey;
import io.cryptun.routing.mesh.OfferedNetwork;
import io.cryptun.routing.psk.MeshIdentity;
import io.cryptun.routing.psk.MeshKeyring;
import io.cryptun.routing.psk.MeshSecrets;
import io.cryptun.routing.psk.MeshSecretsFile;
import io.cryptun.routing.reactor.Bmx7Feed;
import io.cryptun.routing.reactor.DevicePeerTable;
import io.cryptun.routing.reactor.MeshConfig;
import io.cryptun.routing.reactor.MeshReactor;
import io.cryptun.routing.reactor.ReactorLoop;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cryptun mesh IFNAME --bmx7-dir DIR ...}: runs interface IFNAME next to a bmx7 daemon. It
 * publishes this node's WireGuard key, port and tunnel sources through bmx7's sms plugin, offers
 * networks as bmx7 tunnel announcements, and keeps its peers and routes in line with bmx7's view
 * of the mesh (docs/mesh.md). Runs in the foreground until SIGINT/SIGTERM or until the device is
 * deleted, and withdraws what it announced when it stops.
 */
@Command(name = "mesh", sortOptions = false, mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Run interface IFNAME as a crypt-tun node of a bmx7 mesh (see docs/mesh.md).", "",
            "A gateway: cryptun mesh ct0 --tun4 10.254.3.1/32 --tun-in gw4=10.99.0.0/16",
            "A client:  cryptun mesh ct0 --tun4 10.254.1.1/32 --tun-out v4any=10.0.0.0/8", ""})
public final class MeshCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IFNAME", description = "interface name (at most 15 characters)")
    String ifname;

    @Option(names = "--bmx7-dir", paramLabel = "DIR", defaultValue = "/var/run/bmx7",
            description = "bmx7's runtimeDir: its control socket, json/ and sms/ (default: ${DEFAULT-VALUE})")
    Path bmx7Dir;

    @Option(names = "--crypt", paramLabel = "MODE", defaultValue = "require",
            description = {"crypt-tun mode (default: ${DEFAULT-VALUE}):",
                "require: tunnels only through WireGuard; gateways without a cryptun record are not used",
                "prefer:  WireGuard where a gateway announces a key, bmx7's plain tunnels elsewhere",
                "off:     no WireGuard; every search is handed to bmx7 and no key is announced"})
    String crypt;

    @Option(names = "--tun-out", paramLabel = "NAME=NETWORK[,SETTING=VALUE]...",
            description = {"a gateway search, as bmx7's tunOut (repeatable); settings: minPrefixLen, maxPrefixLen,"
                + " hysteresis, rating, minBandwidth, gwName, gwId, allowOverlappingPrefix, breakOverlappingPrefix,"
                + " ipMetric, tableRule=PREF/TABLE (default " + MeshOptions.DEFAULT_TABLE_PREF + "/" + MeshOptions.DEFAULT_TABLE
                    + "), proto"})
    List<String> tunOut = new ArrayList<>();

    @Option(names = "--tun-in", paramLabel = "NAME=NETWORK[,bandwidth=BITS]",
            description = "a network this node offers as a gateway, announced as bmx7's tunIn (repeatable)")
    List<String> tunIn = new ArrayList<>();

    @Option(names = "--tun4", paramLabel = "PREFIX",
            description = "an IPv4 tunnel source of this node (repeatable); a /32 is also put on IFNAME")
    List<String> tun4 = new ArrayList<>();

    @Option(names = "--tun6", paramLabel = "PREFIX",
            description = "an IPv6 tunnel source of this node (repeatable); a /128 is also put on IFNAME")
    List<String> tun6 = new ArrayList<>();

    @Option(names = "--listen-port", paramLabel = "PORT", defaultValue = "51820",
            description = "WireGuard UDP port, announced in the record (default: ${DEFAULT-VALUE})")
    int listenPort;

    @Option(names = "--private-key-file", paramLabel = "FILE",
            description = "private key (wg genkey format, mode 0600), created if missing (default: /etc/cryptun/IFNAME.key)")
    Path privateKeyFile;

    @Option(names = "--key-from-bmx7", paramLabel = "PATH", arity = "0..1", fallbackValue = "/etc/bmx7/rsa.der",
            description = "derive the private key from bmx7's node key file instead (default PATH: ${FALLBACK-VALUE}),"
                + " so it follows the node's bmx7 identity; excludes --private-key-file")
    Path keyFromBmx7;

    @Option(names = "--mesh-psk-file", paramLabel = "FILE",
            description = "the community's mesh secret (wg genpsk format, mode 0600; current first, the next on the"
                + " second line during a rotation): per-peer pre-shared keys, and only nodes holding it are peers."
                + " Followed while running (edits, or SIGHUP)")
    Path meshPskFile;

    @Option(names = "--allow-node", paramLabel = "NODEID",
            description = "peer only with these bmx7 node ids (repeatable; default: every node)")
    List<String> allowNodes = new ArrayList<>();

    @Option(names = "--accept-client-source", paramLabel = "PREFIX",
            description = "as a gateway, accept only clients' tunnel sources inside these prefixes (repeatable)")
    List<String> acceptClientSources = new ArrayList<>();

    @Option(names = "--keepalive", paramLabel = "SECONDS", defaultValue = "25",
            description = "persistent keepalive towards the peers this node keeps up (--keep-up), 0 for none"
                + " (default: ${DEFAULT-VALUE})")
    int keepalive;

    @Option(names = "--keep-up", paramLabel = "WHICH", defaultValue = "gateways",
            description = {"which tunnels stay up without traffic (default: ${DEFAULT-VALUE}):",
                "gateways: those to the gateways chosen for offered networks; the rest come up with traffic",
                "all:      every pair's (kept up by the node with the smaller public key)"})
    String keepUp;

    @Option(names = "--mtu", paramLabel = "BYTES", defaultValue = "" + Device.DEFAULT_MTU, description = "MTU of IFNAME (default: ${DEFAULT-VALUE})")
    int mtu;

    @Option(names = "--feed", paramLabel = "SOURCE", defaultValue = "auto",
            description = "how to read bmx7: json (its json plugin's files), socket, or auto (default: ${DEFAULT-VALUE})")
    String feed;

    @Option(names = "--sms-name", paramLabel = "NAME", defaultValue = MeshConfig.DEFAULT_SMS_NAME,
            description = "bmx7 sms name of the record (default: ${DEFAULT-VALUE})")
    String smsName;

    @Mixin
    DataPathOptions dataPath;

    /** Everything the command line says, checked before anything is created. */
    private record Settings(CryptMode mode, List<TunnelSearch> searches, List<OfferedNetwork> offers,
                            List<IpPrefix> sources, Set<NodeId> allowList, List<IpPrefix> acceptedSources) {
    }

    /** This node's WireGuard private key, and the bmx7 node it was derived from (null: read from a key file). */
    private record NodeKey(byte[] privateKey, NodeId bmx7Node) {
    }

    @Override
    public Integer call() throws Exception {
        Settings s = settings();
        Log log = Log.fromEnvironment(ifname);
        MeshKeyring keyring = MeshKeyring.empty();
        MeshSecretsFile secretsFile = meshPskFile == null ? null : readMeshSecrets(keyring, log);
        NodeKey key = loadPrivateKey(log);
        byte[] publicKey = X25519Keys.publicFromPrivate(key.privateKey());
        Interface itf = startInterface(key.privateKey(), log);
        ReactorLoop loop = null;
        try {
            configureLink(itf, s.sources());
            itf.openUapiSocket();
            CryptunRecord record = CryptunRecord.of(publicKey, itf.daemon().listenPort(), s.sources(), keyring.ids());
            MeshReactor reactor = newReactor(itf, s, record, keyring, secretsFile, log);
            if (key.bmx7Node() != null) {
                reactor.expectSelf(key.bmx7Node());
            }
            connectReactor(itf, reactor, log);
            String upMessage = "interface " + itf.name() + " is up, public key " + Keys.toBase64(publicKey) + ", UDP port "
                    + itf.daemon().listenPort() + ", crypt-tun " + s.mode().optionValue() + ", bmx7 at " + bmx7Dir;
            loop = ReactorLoop.start(reactor, log);
            itf.announceReady(upMessage);
        } catch (IOException | RuntimeException e) {
            if (loop != null) {
                loop.close();
            }
            itf.close();
            throw e instanceof IOException ? new UserException(e.getMessage()) : e;
        }
        runUntilStopped(itf, loop);
        return 0;
    }

    /** Reads --mesh-psk-file into {@code keyring}; the file, which the reactor follows from then on. */
    private MeshSecretsFile readMeshSecrets(MeshKeyring keyring, Log log) {
        MeshSecretsFile secretsFile = new MeshSecretsFile(meshPskFile);
        try {
            MeshSecrets secrets = secretsFile.readIfChanged(log::info).orElseThrow();
            keyring.replace(secrets);
        } catch (IOException e) {
            throw new UserException(e.getMessage());
        }
        log.info("mesh secret generations " + String.join(",", keyring.ids()) + " from " + meshPskFile);
        return secretsFile;
    }

    /** The private key derived from bmx7's node key (--key-from-bmx7), or from its key file, created if missing. */
    private NodeKey loadPrivateKey(Log log) {
        if (keyFromBmx7 != null) {
            Bmx7NodeKey nodeKey;
            try {
                nodeKey = Bmx7NodeKey.read(keyFromBmx7);
            } catch (IOException e) {
                throw new UserException("--key-from-bmx7: " + e.getMessage());
            }
            byte[] privateKey = MeshIdentity.wireGuardPrivateKey(nodeKey);
            NodeId node = nodeKey.nodeId();
            log.info("private key derived from bmx7's node key " + keyFromBmx7 + " (RSA" + nodeKey.bits() + ", node id "
                    + node + ")");
            nodeKey.destroy();
            return new NodeKey(privateKey, node);
        }
        Path keyFile = privateKeyFile != null ? privateKeyFile : Path.of("/etc/cryptun", ifname + ".key");
        PrivateKeyFile.Loaded key = PrivateKeyFile.loadOrCreate(keyFile);
        if (key.created()) {
            log.info("created private key file " + keyFile + " (mode 0600)");
        }
        return new NodeKey(key.privateKey(), null);
    }

    /** Creates the interface with {@code privateKey}, which is zeroed afterwards (the device keeps its own copy). */
    private Interface startInterface(byte[] privateKey, Log log) {
        try {
            // no start-up warm-up by default: a mesh node's first tunnels come up in the background, and
            // a mesh starting together (after a power cut) would spend seconds of CPU per node on it
            Interface itf = Interface.start(ifname, listenPort, dataPath.crypto, log, Integer.getInteger("cryptun.warmup", 0),
                    dataPath.metrics);
            itf.daemon().device().setPrivateKey(privateKey);
            return itf;
        } finally {
            Keys.zero(privateKey);
        }
    }

    /** MTU, the /32 and /128 tunnel sources as addresses of the interface, link up. */
    private void configureLink(Interface itf, List<IpPrefix> sources) {
        itf.ip("link", "set", "dev", itf.name(), "mtu", Integer.toString(mtu));
        itf.daemon().device().setMtu(mtu);
        for (IpPrefix p : sources) {
            if (p.isIpv4() && p.length() == 32) {
                itf.ip("-4", "address", "add", p.toString(), "dev", itf.name());
            } else if (!p.isIpv4() && p.length() == 128) {
                itf.ip("-6", "address", "add", p.toString(), "dev", itf.name(), "nodad");
            }
        }
        itf.ip("link", "set", "dev", itf.name(), "up");
    }

    /** The reactor that keeps the device's peers and the routes in line with bmx7's view of the mesh. */
    private MeshReactor newReactor(Interface itf, Settings s, CryptunRecord record, MeshKeyring keyring,
                                   MeshSecretsFile secretsFile, Log log) {
        MeshConfig config = new MeshConfig(bmx7Dir, smsName, record, s.mode(), s.searches(), s.offers(),
                s.allowList(), s.acceptedSources(), MeshConfig.DEFAULT_GRACE_MILLIS);
        Bmx7ControlClient control = new Bmx7ControlClient(config.socketPath(), Duration.ofSeconds(3));
        Bmx7Feed bmx7Feed = switch (feed) {
            case "json" -> Bmx7Feed.json(config);
            case "socket" -> Bmx7Feed.socket(config, control);
            default -> Bmx7Feed.auto(config, control);
        };
        return new MeshReactor(config, bmx7Feed,
                new DevicePeerTable(itf.daemon().device(), keepalive, keyring, keepUp.equals("all")
                        ? DevicePeerTable.KeepUp.ALL : DevicePeerTable.KeepUp.GATEWAYS),
                new IpRouteTable(itf.name()), control, log,
                keyring, secretsFile);
    }

    /** What cryptun show and SIGHUP reach the reactor by. */
    private void connectReactor(Interface itf, MeshReactor reactor, Log log) {
        // peers refused for their secrets: cryptun show names the reason
        itf.uapi().setPeerNotes(k -> reactor.refusals().get(Keys.toBase64(k)));
        // bmx7 searches of its own that take traffic meant for WireGuard
        itf.uapi().setInterfaceWarnings(reactor::warnings);
        boolean hangupReloads = ReloadSignal.install(() -> {
            log.info("SIGHUP: reading " + (meshPskFile != null ? meshPskFile + " and " : "") + "bmx7 again");
            reactor.reloadSecrets(TimeUnit.NANOSECONDS.toMillis(System.nanoTime()));
        });
        if (!hangupReloads) {
            log.warn("SIGHUP cannot be taken here and does not reload; edits to "
                    + (meshPskFile != null ? meshPskFile : "the secret file") + " are still followed");
        }
    }

    /** Until the device goes away by itself or a signal comes: then withdraws from the mesh and closes, once. */
    private static void runUntilStopped(Interface itf, ReactorLoop loop) throws InterruptedException {
        AtomicBoolean stopped = new AtomicBoolean();
        Runnable stop = () -> {
            if (stopped.compareAndSet(false, true)) {
                loop.close();
                itf.close();
            }
        };
        itf.runUntilStopped(stop);
    }

    private Settings settings() {
        if (ifname.isEmpty() || ifname.length() > 15) {
            throw new UserException("interface name must be 1 to 15 characters");
        }
        CryptMode mode;
        try {
            mode = CryptMode.parse(crypt);
        } catch (IllegalArgumentException e) {
            throw new UserException("--crypt: " + e.getMessage());
        }
        if (listenPort < 0 || listenPort > 65535) {
            throw new UserException("--listen-port must be 0..65535");
        }
        if (keepalive < 0 || keepalive > 65535) {
            throw new UserException("--keepalive must be 0..65535 seconds");
        }
        if (!List.of("gateways", "all").contains(keepUp)) {
            throw new UserException("--keep-up must be gateways or all");
        }
        if (mtu < 576 || mtu > 65535) {
            throw new UserException("--mtu must be 576..65535");
        }
        if (!List.of("auto", "json", "socket").contains(feed)) {
            throw new UserException("--feed must be auto, json or socket");
        }
        if (keyFromBmx7 != null && privateKeyFile != null) {
            throw new UserException("--key-from-bmx7 and --private-key-file exclude each other");
        }
        List<TunnelSearch> searches = parseAll("--tun-out", tunOut, MeshOptions::tunOut);
        List<OfferedNetwork> offers = parseAll("--tun-in", tunIn, MeshOptions::tunIn);
        List<IpPrefix> sources = new ArrayList<>(parseAll("--tun4", tun4, t -> MeshOptions.source(t, true)));
        sources.addAll(parseAll("--tun6", tun6, t -> MeshOptions.source(t, false)));
        Set<NodeId> allow = allowNodes.isEmpty() ? null : new TreeSet<>(parseAll("--allow-node", allowNodes, MeshOptions::nodeId));
        List<IpPrefix> accepted = parseAll("--accept-client-source", acceptClientSources, MeshOptions::prefix);
        try {
            // the record's limits (16 sources per family, 1023 bytes) and the rest, before anything is created
            byte[] placeholderKey = new byte[Keys.KEY_LENGTH];
            java.util.Arrays.fill(placeholderKey, (byte) 1);
            new MeshConfig(bmx7Dir, smsName, CryptunRecord.of(placeholderKey, 65535, sources), mode, searches, offers,
                    allow, accepted, 0);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
        return new Settings(mode, searches, offers, sources, allow, accepted);
    }

    private static <T> List<T> parseAll(String option, List<String> values, Function<String, T> parser) {
        List<T> out = new ArrayList<>();
        for (String v : values) {
            try {
                out.add(parser.apply(v));
            } catch (IllegalArgumentException e) {
                throw new UserException(option + " " + v + ": " + e.getMessage());
            }
        }
        return out;
    }
}
