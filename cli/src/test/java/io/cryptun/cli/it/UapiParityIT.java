package io.cryptun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.cli.uapi.RawUapiClient;
import io.cryptun.noise.crypto.Keys;
import io.cryptun.testkit.ExecResult;
import io.cryptun.testkit.Netns;
import io.cryptun.testkit.NetnsAssumptions;
import io.cryptun.testkit.NetnsSet;
import java.io.IOException;
import java.net.DatagramSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The same sequence of wg commands (and raw UAPI requests) against wireguard-go and against
 * cryptun, each started as {@code IMPL -f IFNAME} in its own namespace, with the same keys and
 * ports: every output must match once interface names, peer order and traffic amounts are masked.
 * Endpoints lie in ranges routed to a gateway that never answers, so sends succeed in both and
 * "sent something" vs "sent nothing" is compared exactly.
 */
@Tag("netns")
class UapiParityIT {

    /** One step: a label, what to run on a side, and how to normalize its output. */
    private record Step(String label, Function<UserspaceDaemon, String> run) {
    }

    @Test
    void wgCommandsGiveTheSameResultsAsAgainstWireguardGo() throws Exception {
        NetnsAssumptions.assumeNetns();
        NetnsAssumptions.assumeCommand("wg");
        NetnsAssumptions.assumeCommand("wireguard-go");
        Path work = Files.createTempDirectory("cryptun-parity-");
        String tag = Long.toString(ProcessHandle.current().pid() % 1000, 36) + Long.toString(System.nanoTime() % 1296, 36);
        List<DatagramSocket> blockers = new ArrayList<>();
        try (NetnsSet namespaces = new NetnsSet()) {
            Netns nsGo = namespaces.create("ctuapg");
            Netns nsCt = namespaces.create("ctuapc");
            for (Netns ns : List.of(nsGo, nsCt)) {
                routeTestEndpointsToNowhere(ns);
                // a UDP port taken by someone else, for the "address in use" step
                blockers.add(ns.callInside(() -> new DatagramSocket(40099)));
            }
            try (UserspaceDaemon go = UserspaceDaemon.start(UserspaceDaemon.Kind.WIREGUARD_GO, nsGo, "ctuag" + tag, work);
                 UserspaceDaemon ct = UserspaceDaemon.start(UserspaceDaemon.Kind.CRYPTUN, nsCt, "ctuac" + tag, work)) {
                go.upWithoutIpv6();
                ct.upWithoutIpv6();
                List<String> divergences = new ArrayList<>();
                for (Step step : steps(work)) {
                    String a = step.run().apply(go);
                    String b = step.run().apply(ct);
                    if (!a.equals(b)) {
                        divergences.add("== " + step.label() + "\n-- wireguard-go:\n" + a + "\n-- cryptun:\n" + b);
                    }
                }
                assertTrue(divergences.isEmpty(), divergences.size() + " divergences:\n" + String.join("\n", divergences)
                        + "\n---- logs\n" + ct.logText());
                assertTrue(ct.process().isAlive(), ct.logText());
            }
        } finally {
            for (DatagramSocket s : blockers) {
                s.close();
            }
            try (Stream<Path> s = Files.walk(work)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * Routes 192.0.2.0/24 and 2001:db8::/32 (where the test's endpoints are) through a veth pair
     * to a gateway whose link-layer address is fixed, so sends succeed at once, no neighbour
     * lookup can fail them, and the datagrams are dropped at the other end (not its address).
     */
    private static void routeTestEndpointsToNowhere(Netns ns) {
        Netns.veth(ns, "ctv0", ns, "ctv1");
        ns.ip("address", "add", "198.51.100.1/24", "dev", "ctv0");
        ns.addAddress("ctv0", "fd0f::1/64");
        ns.ip("neigh", "add", "198.51.100.2", "lladdr", "02:00:00:00:00:02", "dev", "ctv0", "nud", "permanent");
        ns.ip("-6", "neigh", "add", "fd0f::2", "lladdr", "02:00:00:00:00:02", "dev", "ctv0", "nud", "permanent");
        ns.ip("route", "add", "192.0.2.0/24", "via", "198.51.100.2");
        ns.ip("-6", "route", "add", "2001:db8::/32", "via", "fd0f::2");
    }

    private static String secretFile(Path work, String name, String content) throws IOException {
        Path p = work.resolve(name);
        Files.writeString(p, content);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        return p.toString();
    }

    private static String hex(String base64) {
        return Keys.toHex(Keys.fromBase64(base64));
    }

    /** A wg command: its exit code, stdout and stderr, normalized. */
    private static Step wg(String label, Function<String, String> normalize, String... args) {
        return new Step(label + ": wg " + String.join(" ", args), d -> {
            ExecResult r = d.wg(args);
            return "rc=" + r.exitCode() + "\n" + normalize.apply(r.stdout()).replace(d.ifname(), "IF")
                    + "stderr:" + r.stderr().replace(d.ifname(), "IF");
        });
    }

    private static Step wg(String label, String... args) {
        return wg(label, s -> s, args);
    }

    /** Every read-only view of wg show, the raw get, and the config as wg showconf writes it. */
    private static List<Step> showAll(String when) {
        List<Step> s = new ArrayList<>();
        s.add(new Step(when + ": wg show IF", d -> WgOutputs.pretty(d.wg("show", "IF").requireSuccess().stdout(), d.ifname())));
        s.add(new Step(when + ": wg showconf IF", d -> WgOutputs.showconf(d.wg("showconf", "IF").requireSuccess().stdout())));
        s.add(new Step(when + ": wg show IF dump", d -> WgOutputs.lines(d.wg("show", "IF", "dump").requireSuccess().stdout(),
                d.ifname(), "dump")));
        s.add(new Step(when + ": wg show all dump (this interface)", d -> {
            StringBuilder mine = new StringBuilder();
            for (String line : d.wg("show", "all", "dump").requireSuccess().stdout().split("\n")) {
                if (line.startsWith(d.ifname() + "\t")) {
                    mine.append(line).append('\n');
                }
            }
            return WgOutputs.lines(mine.toString(), d.ifname(), "dump");
        }));
        for (String view : List.of("public-key", "private-key", "listen-port", "fwmark", "peers", "endpoints",
                "allowed-ips", "latest-handshakes", "transfer", "persistent-keepalive", "preshared-keys")) {
            s.add(new Step(when + ": wg show IF " + view, d -> WgOutputs.lines(d.wg("show", "IF", view).requireSuccess().stdout(),
                    d.ifname(), view)));
        }
        s.add(rawGet(when));
        return s;
    }

    private static Step rawGet(String when) {
        return new Step(when + ": raw get=1", d -> {
            try {
                RawUapiClient.Reply r = RawUapiClient.exchange(d.socket(), "get=1\n\n");
                return "errno=" + r.errno() + "\n" + WgOutputs.rawGet(r.text());
            } catch (IOException e) {
                return e.toString();
            }
        });
    }

    private static Step raw(String label, String request) {
        return new Step(label + ": raw " + request.replace("\n", "\\n"), d -> {
            try {
                RawUapiClient.Reply r = RawUapiClient.exchange(d.socket(), request);
                return r.closed() ? "closed:" + r.text() : "errno=" + r.errno() + " " + r.text();
            } catch (IOException e) {
                return e.toString();
            }
        });
    }

    /** The step with the daemon's (random) listening port written as PORT. */
    private static Step maskListenPort(Step step) {
        return new Step(step.label(), d -> {
            String port = d.wg("show", "IF", "listen-port").requireSuccess().stdout().strip();
            return step.run().apply(d).replaceAll("\\b" + port + "\\b", "PORT");
        });
    }

    /** Waits (up to 10 s) until the interface has sent something to the peer; the result says whether it did. */
    private static Step awaitSent(String label, String peerBase64) {
        return new Step(label, d -> {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (System.nanoTime() < deadline) {
                for (String line : d.wg("show", "IF", "transfer").requireSuccess().stdout().split("\n")) {
                    String[] f = line.split("\t");
                    if (f.length == 3 && f[0].equals(peerBase64) && !f[2].equals("0")) {
                        return "sent";
                    }
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return "interrupted";
                }
            }
            return "nothing sent";
        });
    }

    /** Waits (up to 10 s) until the daemon listens on the UDP port; the result says whether it does. */
    private static Step awaitListening(int port) {
        return new Step("listening on " + port, d -> {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (System.nanoTime() < deadline) {
                if (!d.ns().exec("ss", "-Hlun", "sport = :" + port).stdout().isBlank()) {
                    return "listening";
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return "interrupted";
                }
            }
            return "not listening";
        });
    }

    private List<Step> steps(Path work) throws IOException {
        TestKeys me = TestKeys.generate();
        TestKeys me2 = TestKeys.generate();
        TestKeys p1 = TestKeys.generate();
        TestKeys p2 = TestKeys.generate();
        TestKeys p3 = TestKeys.generate();
        TestKeys p4 = TestKeys.generate();
        TestKeys p5 = TestKeys.generate();
        String key = secretFile(work, "me.key", me.privateKey() + "\n");
        String key2 = secretFile(work, "me2.key", me2.privateKey() + "\n");
        String psk = secretFile(work, "p2.psk", TestKeys.psk() + "\n");
        String conf1 = secretFile(work, "one.conf", "[Interface]\nPrivateKey = " + me.privateKey() + "\nListenPort = 40004\n"
                + "FwMark = 0x55\n\n"
                + "[Peer]\nPublicKey = " + p1.publicKey() + "\nPresharedKey = " + TestKeys.psk() + "\n"
                + "Endpoint = 192.0.2.1:51820\nAllowedIPs = 10.1.0.0/16, fd00:1::/48\n\n"
                + "[Peer]\nPublicKey = " + p4.publicKey() + "\nEndpoint = [2001:db8::4]:4\nAllowedIPs = 0.0.0.0/0, ::/0\n"
                + "PersistentKeepalive = 0\n");
        String conf2 = secretFile(work, "two.conf", "[Interface]\nPrivateKey = " + me.privateKey() + "\nListenPort = 40004\n\n"
                + "[Peer]\nPublicKey = " + p1.publicKey() + "\nEndpoint = 192.0.2.1:51820\nAllowedIPs = 10.1.0.0/17, 10.3.0.0/16\n\n"
                + "[Peer]\nPublicKey = " + p5.publicKey() + "\nAllowedIPs = 10.5.0.0/16, fd00:5::/111, fd00:6::/75\n");
        String conf3 = secretFile(work, "three.conf", "[Peer]\nPublicKey = " + p3.publicKey() + "\nAllowedIPs = 10.3.3.0/24\n");
        String zeroKey = "0".repeat(64);

        List<Step> s = new ArrayList<>();
        // before any listen-port, each picked a random port
        showAll("fresh").forEach(step -> s.add(maskListenPort(step)));
        s.add(wg("key and port", "set", "IF", "private-key", key, "listen-port", "40001"));
        s.add(awaitListening(40001));
        s.add(wg("peer 1", "set", "IF", "peer", p1.publicKey(), "allowed-ips", "10.0.1.0/24,fd00:1::/64",
                "endpoint", "192.0.2.1:51820"));
        s.add(wg("peer 2 with psk, IPv6 endpoint, keepalive", "set", "IF", "peer", p2.publicKey(), "preshared-key", psk,
                "endpoint", "[2001:db8::2]:51821", "allowed-ips", "10.0.2.0/24", "persistent-keepalive", "25"));
        s.add(awaitSent("turning keepalive on sends at once", p2.publicKey()));
        s.addAll(showAll("two peers"));
        s.add(wg("allowed IP moves to peer 2", "set", "IF", "peer", p2.publicKey(), "allowed-ips", "10.0.1.0/24,10.0.2.0/24"));
        s.add(wg("allowed-ips after the move", s2 -> WgOutputs.lines(s2, "", "allowed-ips"), "show", "IF", "allowed-ips"));
        s.add(wg("psk removed", "set", "IF", "peer", p2.publicKey(), "preshared-key", "/dev/null"));
        s.add(wg("psk after removal", s2 -> WgOutputs.lines(s2, "", "preshared-keys"), "show", "IF", "preshared-keys"));
        s.add(wg("fwmark on", "set", "IF", "fwmark", "0x1234"));
        s.add(wg("fwmark shown", "show", "IF", "fwmark"));
        s.add(rawGet("fwmark on"));
        s.add(wg("fwmark off", "set", "IF", "fwmark", "off"));
        s.add(wg("fwmark gone", "show", "IF", "fwmark"));
        s.add(wg("fwmark 0 again", "set", "IF", "fwmark", "0"));
        s.add(wg("port change", "set", "IF", "listen-port", "40002"));
        s.add(wg("port shown", "show", "IF", "listen-port"));
        s.add(awaitListening(40002));
        s.add(wg("random port", "set", "IF", "listen-port", "0"));
        s.add(wg("random port is some port", out -> out.matches("\\d+\n") && !out.equals("0\n") ? "a port\n" : out,
                "show", "IF", "listen-port"));
        s.add(wg("port in use", "set", "IF", "listen-port", "40099"));
        s.add(wg("fixed port again", "set", "IF", "listen-port", "40003"));
        s.add(awaitListening(40003));
        s.add(wg("own public key as a peer", "set", "IF", "peer", me.publicKey(), "allowed-ips", "10.9.9.9/32"));
        s.add(wg("own key not listed", s2 -> WgOutputs.lines(s2, "", "peers"), "show", "IF", "peers"));
        s.add(raw("update_only for an unknown peer", "set=1\npublic_key=" + hex(p3.publicKey())
                + "\nupdate_only=true\nallowed_ip=10.3.0.0/16\n\n"));
        s.add(raw("update_only for a known peer", "set=1\npublic_key=" + hex(p1.publicKey())
                + "\nupdate_only=true\nendpoint=192.0.2.11:1\n\n"));
        s.add(raw("psk set with all zeros", "set=1\npublic_key=" + hex(p1.publicKey()) + "\npreshared_key=" + zeroKey + "\n\n"));
        s.add(wg("peer 3 via wg", "set", "IF", "peer", p3.publicKey(), "endpoint", "[2001:db8::3]:3", "persistent-keepalive", "0",
                "allowed-ips", "10.3.0.0/16"));
        s.addAll(showAll("after updates"));
        s.add(wg("remove peer 1", "set", "IF", "peer", p1.publicKey(), "remove"));
        s.add(wg("a peer with the next private key's public key", "set", "IF", "peer", me2.publicKey(), "allowed-ips", "10.7.0.0/16"));
        s.add(wg("private key change", "set", "IF", "private-key", key2));
        s.addAll(showAll("after key change"));
        s.add(wg("private key removed", "set", "IF", "private-key", "/dev/null"));
        s.add(wg("no private key", "show", "IF", "private-key"));
        s.add(wg("no public key", "show", "IF", "public-key"));
        s.add(wg("setconf", "setconf", "IF", conf1));
        s.add(awaitListening(40004));
        s.addAll(showAll("after setconf"));
        s.add(wg("syncconf", "syncconf", "IF", conf2));
        s.addAll(showAll("after syncconf"));
        s.add(wg("addconf", "addconf", "IF", conf3));
        s.addAll(showAll("after addconf"));
        s.add(raw("replace_peers alone", "set=1\nreplace_peers=true\n\n"));
        s.addAll(showAll("after replace_peers"));
        s.add(wg("bad key", "set", "IF", "peer", "not-a-key", "allowed-ips", "10.0.0.0/8"));
        s.add(wg("show of a missing interface", "show", "ctuanothere"));
        return s;
    }
}
