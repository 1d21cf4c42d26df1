package io.cryptun.tun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.cryptun.testkit.ExecResult;
import io.cryptun.testkit.Netns;
import io.cryptun.testkit.NetnsAssumptions;
import io.cryptun.testkit.NetnsExtension;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The real failure messages, produced by a child JVM that lacks CAP_NET_ADMIN (setpriv) or sees no
 * /dev/net/tun (a private mount namespace with a tmpfs over /dev/net), each inside a private network namespace.
 */
@Tag("netns")
class TunErrorMessagesTest {

    @RegisterExtension
    final NetnsExtension netns = new NetnsExtension();

    @Test
    void withoutCapNetAdminTheMessageSaysSo() {
        Netns ns = netns.create("cttun");
        NetnsAssumptions.assumeCommand("setpriv");
        List<String> argv = new ArrayList<>(List.of("setpriv", "--inh-caps=-net_admin",
                "--bounding-set=-net_admin", "--"));
        argv.addAll(childJava("cttunperm0"));
        String out = run(ns, argv);
        assertTrue(out.startsWith("TunException " + Linux.EPERM + " creating TUN device cttunperm0 needs CAP_NET_ADMIN"),
                out);
        assertTrue(ns.exec("ip", "link", "show", "cttunperm0").exitCode() != 0, "no interface may be left");
    }

    @Test
    void withoutDevNetTunTheMessageSaysWhatToDo() {
        Netns ns = netns.create("cttun");
        NetnsAssumptions.assumeCommand("unshare");
        String javaCmd = String.join(" ", childJava("cttunmiss0").stream().map(TunErrorMessagesTest::quote).toList());
        // unshare -m makes mounts private to the child, so the tmpfs hides /dev/net/tun from it alone.
        String out = run(ns, List.of("unshare", "-m", "--propagation", "private", "sh", "-c",
                "mount -t tmpfs cttun-empty /dev/net && exec " + javaCmd));
        assertEquals("TunException " + Linux.ENOENT + " /dev/net/tun: No such file or directory (errno 2); load the tun"
                + " module or run in a container with /dev/net/tun", out);
        assertTrue(Files.exists(Path.of("/dev/net/tun")), "the host's /dev/net/tun must be untouched");
    }

    @Test
    void childWithFullPrivilegesOpensTheDevice() {
        // Control for the two tests above: the same child, unrestricted, succeeds.
        Netns ns = netns.create("cttun");
        assertEquals("OPENED cttunok0", run(ns, childJava("cttunok0")));
    }

    private static String run(Netns ns, List<String> argv) {
        ExecResult r = ns.exec(argv.toArray(new String[0]));
        r.requireSuccess();
        return r.stdout().strip();
    }

    private static List<String> childJava(String tunName) {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return List.of(javaBin, "-cp", System.getProperty("java.class.path"), OpenTunMain.class.getName(), tunName);
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
