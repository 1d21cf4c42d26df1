package io.cryptun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.testkit.ExecResult;
import io.cryptun.testkit.Netns;
import io.cryptun.testkit.NetnsAssumptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code WG_QUICK_USERSPACE_IMPLEMENTATION=cryptun wg-quick up CONF}, unchanged wg-quick, with
 * the repo's ./cryptun launcher on PATH as {@code cryptun}: the tunnel to wireguard-go carries
 * pings, and {@code wg-quick down} leaves no address, route, rule, nft table, socket or process
 * behind. Once with subnet routes, once with a default route (wg-quick's fwmark policy routing,
 * which also proves cryptun's fwmark keeps its own datagrams out of the tunnel).
 */
@Tag("netns")
class WgQuickIT {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"subnet routes", "default route"})
    void wgQuickUpAndDownWithCryptun(String routing) throws Exception {
        NetnsAssumptions.assumeWgQuickRunsUserspace();
        boolean defaultRoute = routing.equals("default route");
        if (defaultRoute) {
            Assumptions.assumeTrue(io.cryptun.testkit.Processes.findOnPath("nft").isPresent()
                    || io.cryptun.testkit.Processes.findOnPath("iptables-restore").isPresent(),
                    "wg-quick's default route needs nft or iptables-restore");
        }
        try (TwoHosts hosts = new TwoHosts("ctuaq")) {
            TestKeys kc = TestKeys.generate();
            TestKeys kg = TestKeys.generate();
            String ifname = "ctuaq" + hosts.tag;
            WireguardGoEndpoint go = new WireguardGoEndpoint(hosts.right, "ctuag" + hosts.tag, kg, hosts.workDir);
            try (go) {
                go.start(51821, List.of(new Endpoint.PeerSpec(kc.publicKey(), null, null,
                        List.of("100.64.7.1/32", "fd99:7::1/128"), 0)), List.of("100.64.7.2/24", "fd99:7::2/64"));
                // an address behind the peer, reached through an AllowedIPs route
                hosts.right.exec("ip", "address", "add", "10.77.0.5/32", "dev", go.ifname()).requireSuccess();

                String allowed = defaultRoute ? "0.0.0.0/0, ::/0" : "100.64.7.2/32, fd99:7::2/128, 10.77.0.0/16";
                Path conf = hosts.workDir.resolve(ifname + ".conf");
                Files.writeString(conf, "[Interface]\nPrivateKey = " + kc.privateKey() + "\n"
                        + "Address = 100.64.7.1/24, fd99:7::1/64\nListenPort = 51820\n\n"
                        + "[Peer]\nPublicKey = " + kg.publicKey() + "\nEndpoint = 198.18.0.2:51821\nAllowedIPs = " + allowed + "\n");
                Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-------"));
                Path bin = Files.createDirectories(hosts.workDir.resolve("bin"));
                Path jar = CryptunEndpoint.jar().toAbsolutePath();
                Path launcher = jar.getParent().getParent().getParent().resolve("cryptun");
                Files.createSymbolicLink(bin.resolve("cryptun"), launcher);

                Netns ns = hosts.left;
                String before = netState(ns);
                ExecResult up = wgQuick(ns, bin, jar, "up", conf);
                assertEquals(0, up.exitCode(), up.stderr());
                Path sock = Endpoint.SOCKET_DIR.resolve(ifname + ".sock");
                assertTrue(Files.exists(sock), up.stderr());
                assertTrue(ns.exec("ip", "link", "show", "dev", ifname).succeeded());

                // the first ping carries the handshake
                ping(ns, hosts, "-c", "1", "-W", "5", "100.64.7.2");
                ping(ns, hosts, "-c", "2", "-i", "0.2", "-W", "2", "10.77.0.5");
                ping(ns, hosts, "-c", "2", "-i", "0.2", "-W", "2", "fd99:7::2");
                String show = ns.exec("wg", "show", ifname).requireSuccess().stdout();
                assertTrue(show.contains("latest handshake"), show);
                if (defaultRoute) {
                    assertTrue(ns.exec("wg", "show", ifname, "fwmark").stdout().strip().matches("0x[0-9a-f]+"), show);
                    // the underlay still reaches the peer outside the tunnel (cryptun marks its socket)
                    String via = ns.exec("ip", "route", "get", "198.18.0.2", "mark", "51820").stdout();
                    assertTrue(via.contains("dev ul"), via);
                }

                ExecResult down = wgQuick(ns, bin, jar, "down", conf);
                assertEquals(0, down.exitCode(), down.stderr());
                long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
                while ((ns.exec("ip", "link", "show", "dev", ifname).succeeded() || !ns.pids().isEmpty())
                        && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                assertFalse(ns.exec("ip", "link", "show", "dev", ifname).succeeded(), "the TUN device is still there");
                assertEquals(List.of(), ns.pids(), "cryptun still runs in the namespace");
                assertFalse(Files.exists(sock), "the socket is still there");
                assertEquals(before, netState(ns), "wg-quick down left something behind");
            }
        }
    }

    private static ExecResult wgQuick(Netns ns, Path bin, Path jar, String action, Path conf) {
        return ns.exec(Duration.ofSeconds(90), "env", "PATH=" + bin + ":" + System.getenv("PATH"),
                "WG_QUICK_USERSPACE_IMPLEMENTATION=cryptun", "CRYPTUN_JAR=" + jar, "wg-quick", action, conf.toString());
    }

    private static void ping(Netns ns, TwoHosts hosts, String... args) {
        String[] argv = new String[args.length + 2];
        argv[0] = "ping";
        argv[1] = "-n";
        System.arraycopy(args, 0, argv, 2, args.length);
        ExecResult r = ns.exec(argv);
        assertTrue(r.succeeded(), String.join(" ", argv) + "\n" + r.stdout() + r.stderr() + hosts.logs());
    }

    /** Addresses, routes (all tables), rules and nft tables of the namespace, link-local ones left out. */
    private static String netState(Netns ns) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String[] cmd : List.of(new String[] {"ip", "-o", "address"}, new String[] {"ip", "route", "show", "table", "all"},
                new String[] {"ip", "-6", "route", "show", "table", "all"}, new String[] {"ip", "rule"},
                new String[] {"ip", "-6", "rule"}, new String[] {"nft", "list", "tables"})) {
            ExecResult r = ns.exec(cmd);
            sb.append("$ ").append(String.join(" ", cmd)).append('\n');
            for (String line : r.stdout().split("\n")) {
                // the underlay's link-local address finishes duplicate detection meanwhile: not ours
                if (!line.contains("fe80:")) {
                    sb.append(line).append('\n');
                }
            }
        }
        return sb.toString();
    }
}
