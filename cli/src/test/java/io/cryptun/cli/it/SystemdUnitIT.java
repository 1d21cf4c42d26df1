package io.cryptun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.cli.process.NotifyReceiver;
import io.cryptun.testkit.NetnsAssumptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * cryptun@.service's contract with systemd, played by the test as systemd plays it (there is no
 * systemd as PID 1 here): the unit's own ExecStart runs with NOTIFY_SOCKET naming a datagram
 * socket the test bound and stderr on a stream named by JOURNAL_STREAM. Type=notify: READY=1
 * comes from the main process once the interface answers; log lines carry sd-daemon priorities,
 * each config warning once, as a warning; SIGTERM (systemctl stop) ends it with a success status
 * and STOPPING=1, the device and socket gone.
 */
@Tag("netns")
class SystemdUnitIT {
    private static final Path UNIT = Path.of("../packaging/src/deb/systemd/cryptun@.service");

    @Test
    void theUnitStartsWhenReadyLogsWithPrioritiesAndStopsCleanly() throws Exception {
        NetnsAssumptions.assumeNetns();
        NetnsAssumptions.assumeCommand("wg");
        List<String> unit = Files.readAllLines(UNIT);
        assertTrue(unit.contains("Type=notify"), "the unit waits for READY=1");
        Optional<String> execStart = value(unit, "ExecStart");
        List<Integer> success = new ArrayList<>(List.of(0));
        for (String s : value(unit, "SuccessExitStatus").orElse("").split("\\s+")) {
            if (s.matches("\\d+")) {
                success.add(Integer.parseInt(s));
            }
        }

        try (TwoHosts hosts = new TwoHosts("ctusd")) {
            String ifname = "ctusd" + hosts.tag;
            Path conf = hosts.workDir.resolve(ifname + ".conf");
            // a wg-quick key and a world-readable file: two warnings
            Files.writeString(conf, "[Interface]\nPrivateKey = " + TestKeys.generate().privateKey()
                    + "\nListenPort = 51820\nDNS = 192.0.2.53\n");
            Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-r--r--"));
            Path jar = CryptunEndpoint.jar().toAbsolutePath();
            Path launcher = jar.getParent().getParent().getParent().resolve("cryptun");
            String command = execStart.orElseThrow().replace("/etc/wireguard/%i.conf", conf.toString())
                    .replace("%i", ifname).replace("/usr/bin/cryptun", launcher.toString());
            Path log = hosts.workDir.resolve("journal.log");
            Files.createFile(log);
            Path sock = Endpoint.SOCKET_DIR.resolve(ifname + ".sock");
            try (NotifyReceiver systemd = new NotifyReceiver(hosts.workDir.resolve("notify").toString())) {
                List<String> cmd = new ArrayList<>(List.of("env", "NOTIFY_SOCKET=" + systemd.address,
                        "JOURNAL_STREAM=" + Files.getAttribute(log, "unix:dev") + ":" + Files.getAttribute(log, "unix:ino"),
                        "CRYPTUN_JAR=" + jar));
                cmd.addAll(Arrays.asList(command.split(" ")));
                Process service = hosts.left.spawn(cmd, log);
                try {
                    String ready = systemd.receive(60_000).orElseThrow(() -> new AssertionError("no READY=1: " + read(log)));
                    assertTrue(ready.contains("READY=1\n"), ready);
                    // from the main process (ip netns exec, env and the launcher all exec), so NotifyAccess=main takes it
                    assertTrue(ready.contains("MAINPID=" + service.pid() + "\n"), ready + " from " + service.pid());
                    // started means usable: the interface answers at once
                    assertTrue(hosts.left.exec("wg", "show", ifname, "listen-port").stdout().strip().equals("51820"),
                            read(log));

                    service.destroy(); // SIGTERM, as systemctl stop sends it
                    assertTrue(service.waitFor(30, TimeUnit.SECONDS), "still running after SIGTERM");
                    assertTrue(success.contains(service.exitValue()), "exit status " + service.exitValue()
                            + " is a failure for the unit (success: " + success + ")\n" + read(log));
                    assertEquals(Optional.of("STOPPING=1\n"), systemd.receive(5000));
                } finally {
                    service.destroy();
                    Files.deleteIfExists(sock);
                }
                assertFalse(Files.exists(sock), "the socket outlived the service");
                assertFalse(hosts.left.exec("ip", "link", "show", "dev", ifname).succeeded(), "the device outlived the service");
            }

            List<String> lines = Files.readAllLines(log);
            assertFalse(lines.isEmpty());
            for (String l : lines) {
                assertTrue(l.matches("<[3467]>.*"), "a line without its priority: " + l + "\n" + String.join("\n", lines));
                assertFalse(l.toLowerCase().matches(".*warn.*warn.*"), "said twice: " + l);
            }
            // the config file's warnings, as the parser words them, each once and filed as warnings
            assertEquals(1, lines.stream().filter(l -> l.startsWith("<4>" + conf + ": warning: DNS")).count(),
                    String.join("\n", lines));
            assertEquals(1, lines.stream().filter(l -> l.startsWith("<4>" + conf + ": warning: readable")).count(),
                    String.join("\n", lines));
            assertEquals(1, lines.stream().filter(l -> l.startsWith("<6>INFO: ") && l.contains("is up")).count(),
                    String.join("\n", lines));
        }
    }

    private static Optional<String> value(List<String> unit, String key) {
        return unit.stream().filter(l -> l.startsWith(key + "=")).map(l -> l.substring(key.length() + 1)).findFirst();
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }
}
