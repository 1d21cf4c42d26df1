package io.cryptun.cli;

import io.cryptun.cli.config.ConfigException;
import io.cryptun.cli.config.InterfaceAddress;
import io.cryptun.cli.config.InterfaceSection;
import io.cryptun.cli.config.WgConfig;
import io.cryptun.cli.daemon.ConfigApplier;
import io.cryptun.cli.process.Log;
import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.noise.device.EventLog;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cryptun up IFNAME --config FILE}: creates the TUN device, applies a WireGuard config file
 * (wg(8) keys; wg-quick's Address and MTU are applied too) and runs in the foreground until
 * SIGINT/SIGTERM or until the device is deleted.
 */
@Command(name = "up", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "Run interface IFNAME in the foreground with a WireGuard config file.")
public final class UpCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IFNAME", description = "interface name (at most 15 characters)")
    String ifname;

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "WireGuard configuration file")
    Path config;

    @Mixin
    DataPathOptions dataPath;

    @Override
    public Integer call() throws Exception {
        Log log = Log.fromEnvironment(ifname);
        // everything that can be checked is, before the TUN device exists
        WgConfig cfg;
        try {
            cfg = WgConfig.parse(config, w -> log.plain(EventLog.Level.WARN, w));
        } catch (ConfigException e) {
            throw new UserException(e.getMessage());
        }
        if (cfg.iface().privateKey() == null) {
            throw new UserException(config + ": [Interface] has no PrivateKey");
        }
        InterfaceSection iface = cfg.iface();
        if (!iface.dns().isEmpty() || iface.table().isPresent() || !iface.preUp().isEmpty() || !iface.postUp().isEmpty()
                || !iface.preDown().isEmpty() || !iface.postDown().isEmpty() || iface.saveConfig()) {
            log.plain(EventLog.Level.WARN, config + ": warning: DNS, Table, PreUp/PostUp/PreDown/PostDown and SaveConfig are "
                    + "wg-quick keys and are ignored here; use WG_QUICK_USERSPACE_IMPLEMENTATION=cryptun wg-quick up");
        }
        List<String> request;
        try {
            request = ConfigApplier.resolve(cfg, config.toString());
        } catch (ConfigApplier.ApplyException e) {
            throw new UserException(e.getMessage());
        }
        Interface itf = Interface.start(ifname, iface.listenPort().orElse(0), dataPath.crypto, log, dataPath.metrics);
        try {
            ConfigApplier.apply(itf.uapi(), request, config.toString());
            if (iface.mtu().isPresent()) {
                itf.ip("link", "set", "dev", itf.name(), "mtu", Integer.toString(iface.mtu().getAsInt()));
                itf.daemon().device().setMtu(iface.mtu().getAsInt());
            }
            for (InterfaceAddress a : iface.addresses()) {
                itf.ip("address", "add", IpPrefix.hostString(a.address()) + "/" + a.prefixLength(), "dev", itf.name());
            }
            itf.ip("link", "set", "dev", itf.name(), "up");
            itf.daemon().linkChanged();
            itf.openUapiSocket();
        } catch (ConfigApplier.ApplyException e) {
            itf.close();
            throw new UserException(e.getMessage());
        } catch (RuntimeException e) {
            itf.close();
            throw e;
        }
        itf.announceReady("interface " + itf.name() + " is up, listening on UDP port " + itf.daemon().listenPort());
        itf.runUntilStopped();
        return 0;
    }
}
