package io.cryptun.cli.it;

import io.cryptun.testkit.Netns;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Debian's wireguard-go, configured with `wg set` as netns-pair.sh does. */
public final class WireguardGoEndpoint extends Endpoint {
    public WireguardGoEndpoint(Netns ns, String ifname, TestKeys keys, Path workDir) {
        super(ns, ifname, keys, workDir);
    }

    @Override
    public String kind() {
        return "wireguard-go";
    }

    @Override
    public void start(int listenPort, List<PeerSpec> peers, List<String> addresses) throws Exception {
        Path log = workDir.resolve(ifname + ".log");
        Process p = ns.spawn(List.of("wireguard-go", "-f", ifname), log);
        awaitSocket(p, log);
        Path key = writeSecret(ifname + ".key", keys.privateKey() + "\n");
        List<String> cmd = new ArrayList<>(List.of("wg", "set", ifname, "listen-port", Integer.toString(listenPort),
                "private-key", key.toString()));
        int i = 0;
        for (PeerSpec peer : peers) {
            cmd.add("peer");
            cmd.add(peer.publicKey());
            if (peer.psk() != null) {
                cmd.add("preshared-key");
                cmd.add(writeSecret(ifname + ".psk" + i++, peer.psk() + "\n").toString());
            }
            if (peer.endpoint() != null) {
                cmd.add("endpoint");
                cmd.add(peer.endpoint());
            }
            cmd.add("allowed-ips");
            cmd.add(String.join(",", peer.allowedIps()));
            if (peer.keepalive() > 0) {
                cmd.add("persistent-keepalive");
                cmd.add(Integer.toString(peer.keepalive()));
            }
        }
        ns.exec(cmd.toArray(new String[0])).requireSuccess();
        addAddresses(addresses);
    }
}
