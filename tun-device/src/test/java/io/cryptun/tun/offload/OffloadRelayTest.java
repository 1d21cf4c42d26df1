package io.cryptun.tun.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.testkit.ExecResult;
import io.cryptun.testkit.Netns;
import io.cryptun.testkit.NetnsAssumptions;
import io.cryptun.testkit.NetnsExtension;
import io.cryptun.tun.TunDevice;
import io.cryptun.tun.TunOffload;
import io.cryptun.tun.TunOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two namespaces, each with a TUN device, joined by a Java relay (two threads): iperf3 TCP from one namespace to
 * the other through the relay. With offloads the relay reads super-packets, splits them into MTU-sized packets,
 * coalesces those again and writes super-packets: the daemon's TUN path without the crypto. Throughput is printed
 * for the record, not asserted.
 */
@Tag("netns")
class OffloadRelayTest {

    private static final Set<TunOffload> TCP_OFFLOADS = EnumSet.of(TunOffload.CSUM, TunOffload.TSO4, TunOffload.TSO6);
    private static final Set<TunOffload> ALL_OFFLOADS =
            EnumSet.of(TunOffload.CSUM, TunOffload.TSO4, TunOffload.TSO6, TunOffload.USO4, TunOffload.USO6);
    private static final int MTU = 1420;
    private static final String IPERF_SECONDS = "2";

    @RegisterExtension
    final NetnsExtension netns = new NetnsExtension();

    @TempDir
    Path tmp;

    private Netns a;
    private Netns b;

    @BeforeEach
    void namespaces() {
        NetnsAssumptions.assumeNetns();
        NetnsAssumptions.assumeCommand("iperf3");
        a = netns.create("ctof");
        b = netns.create("ctof");
    }

    @Test
    void iperf3OverTheRelayWithOffloads() throws Exception {
        Result r = run(true);
        assertTrue(r.relayAB.gsoReads.get() > 0, "the kernel handed over TSO super-packets: " + r.relayAB);
        assertTrue(r.relayAB.superPackets() > 0, "the relay wrote super-packets: " + r.relayAB);
        assertEquals(0, r.relayAB.splitErrors.get(), r.relayAB.toString());
        assertEquals(0, r.relayBA.splitErrors.get(), r.relayBA.toString());
        assertTrue(r.relayAB.writes.get() < r.relayAB.packets.get(), "fewer writes than packets: " + r.relayAB);
        assertTrue(r.relayAB.largeReads.get() > 0, "the small-MSS run made super-packets of more than 256 segments: "
                + r.relayAB);
    }

    @Test
    void iperf3OverThePlainRelay() throws Exception {
        Result r = run(false);
        assertEquals(r.relayAB.packets.get(), r.relayAB.writes.get());
    }

    private static final class Result {
        TunRelay relayAB;
        TunRelay relayBA;
    }

    private Result run(boolean offload) throws Exception {
        String tag = String.format("%05x", new SecureRandom().nextInt(1 << 20));
        String nameA = "ctofa" + tag;
        String nameB = "ctofb" + tag;
        TunOptions options = TunOptions.defaults().withVnetHeader(offload);
        TunDevice tunA = a.callInside(() -> TunDevice.open(nameA, options));
        TunDevice tunB = null;
        Thread ab = null;
        Thread ba = null;
        Result result = new Result();
        try {
            tunB = b.callInside(() -> TunDevice.open(nameB, options));
            boolean uso = false;
            if (offload) {
                assertTrue(tunA.trySetOffload(TCP_OFFLOADS));
                assertTrue(tunB.trySetOffload(TCP_OFFLOADS));
                uso = tunA.trySetOffload(ALL_OFFLOADS) && tunB.trySetOffload(ALL_OFFLOADS);
            }
            for (TunDevice t : List.of(tunA, tunB)) {
                t.setMtu(MTU);
                t.setUp();
            }
            a.addAddress(nameA, "10.77.0.1/24");
            b.addAddress(nameB, "10.77.0.2/24");
            a.addAddress(nameA, "fd77::1/64");
            b.addAddress(nameB, "fd77::2/64");

            result.relayAB = new TunRelay(tunA, tunB, offload, uso);
            result.relayBA = new TunRelay(tunB, tunA, offload, uso);
            ab = new Thread(result.relayAB, "relay-a-b");
            ba = new Thread(result.relayBA, "relay-b-a");
            ab.start();
            ba.start();

            b.spawn(List.of("iperf3", "-s"), tmp.resolve("iperf3-server.log"));
            awaitListening(b, 5201);
            String mode = offload ? "offloads (TSO4/6 + CSUM" + (uso ? " + USO4/6" : "") + ")" : "no offloads";
            for (String server : List.of("10.77.0.2", "fd77::2")) {
                ExecResult client = a.exec(Duration.ofSeconds(30), "iperf3", "-c", server, "-t", IPERF_SECONDS,
                        "-J");
                assertEquals(0, client.exitCode(), client.stdout() + client.stderr());
                long bytes = jsonNumber(client.stdout(), "sum_received", "bytes").longValue();
                double bps = jsonNumber(client.stdout(), "sum_received", "bits_per_second").doubleValue();
                long retransmits = jsonNumber(client.stdout(), "sum_sent", "retransmits").longValue();
                assertTrue(bytes > 0, "iperf3 moved no data: " + client.stdout());
                String line = String.format(Locale.ROOT, "relay %-40s %-10s %8.0f Mbit/s  %d bytes  %d retransmits",
                        mode, server, bps / 1e6, bytes, retransmits);
                report(line);
            }
            if (offload) {
                // A small MSS: 64 KiB super-packets of several hundred segments each.
                ExecResult client = a.exec(Duration.ofSeconds(30), "iperf3", "-c", "10.77.0.2", "-t", "1", "-M", "150",
                        "-J");
                assertEquals(0, client.exitCode(), client.stdout() + client.stderr());
                long bytes = jsonNumber(client.stdout(), "sum_received", "bytes").longValue();
                assertTrue(bytes > 0, "iperf3 moved no data: " + client.stdout());
                report(String.format(Locale.ROOT, "relay %-40s %-10s %8.0f Mbit/s  (MSS 150)", mode, "10.77.0.2",
                        jsonNumber(client.stdout(), "sum_received", "bits_per_second").doubleValue() / 1e6));
            }
        } finally {
            tunA.close();
            if (tunB != null) {
                tunB.close();
            }
            if (ab != null) {
                ab.join(5000);
                ba.join(5000);
            }
        }
        assertNull(result.relayAB.failure, () -> "relay a->b failed: " + result.relayAB.failure);
        assertNull(result.relayBA.failure, () -> "relay b->a failed: " + result.relayBA.failure);
        System.out.println("relay a->b: " + result.relayAB);
        System.out.println("relay b->a: " + result.relayBA);
        return result;
    }

    private static void report(String line) throws java.io.IOException {
        System.out.println(line);
        Files.writeString(Path.of("target", "offload-relay-throughput.txt"), line + System.lineSeparator(),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    }

    private static void awaitListening(Netns ns, int port) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            ExecResult ss = ns.exec("ss", "-Htln", "sport = :" + port);
            if (ss.exitCode() == 0 && !ss.stdout().isBlank()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("iperf3 server did not start listening on port " + port);
    }

    /** A number from iperf3's JSON: the first {@code "field": N} inside the object named {@code object}. */
    private static Number jsonNumber(String json, String object, String field) {
        int start = json.indexOf("\"" + object + "\"");
        if (start < 0) {
            throw new AssertionError("no " + object + " in iperf3 output: " + json);
        }
        int end = json.indexOf('}', start);
        Matcher m = Pattern.compile("\"" + field + "\"\\s*:\\s*([-0-9.eE+]+)").matcher(json.substring(start, end));
        if (!m.find()) {
            throw new AssertionError("no " + field + " in " + object + ": " + json.substring(start, end));
        }
        return Double.valueOf(m.group(1));
    }
}
