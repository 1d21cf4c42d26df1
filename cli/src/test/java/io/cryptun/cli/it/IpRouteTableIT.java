package io.cryptun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.cli.mesh.IpRouteTable;
import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.routing.reactor.TableRule;
import io.cryptun.routing.reactor.TunnelRoute;
import io.cryptun.testkit.Netns;
import io.cryptun.testkit.NetnsAssumptions;
import java.io.IOException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The {@code ip route}/{@code ip rule} table of {@code cryptun mesh}, run inside a namespace of its
 * own (the {@code ip} processes inherit the calling thread's namespace).
 */
@Tag("netns")
class IpRouteTableIT {
    private static String rules(Netns ns, String family) {
        return ns.exec("ip", family, "rule").requireSuccess().stdout();
    }

    @Test
    void routesAndRulesComeAndGoAndARuleItDidNotAddStays() throws Exception {
        NetnsAssumptions.assumeNetns();
        try (Netns ns = Netns.create("ctmsrt")) {
            ns.ip("link", "add", "ctmsd0", "type", "veth", "peer", "name", "ctmsd1");
            ns.linkUp("ctmsd0");
            // bmx7 made this rule already (for a search handed to it)
            ns.ip("-6", "rule", "add", "pref", "32765", "lookup", "171");
            ns.runInside(() -> {
                IpRouteTable t = new IpRouteTable("ctmsd0");
                TableRule v4 = new TableRule(32765, 171, true);
                TableRule v6 = new TableRule(32765, 171, false);
                TunnelRoute r4 = new TunnelRoute(IpPrefix.parse("10.99.0.0/16"), 171, 1024);
                TunnelRoute r6 = new TunnelRoute(IpPrefix.parse("2001:db8:99::/48"), 171, 1024);
                TunnelRoute main = new TunnelRoute(IpPrefix.parse("10.254.1.1/32"), 254, 1024);
                t.addRule(v4);
                t.addRule(v6);
                t.add(r4);
                t.add(r4);
                t.add(r6);
                t.add(main);
                assertTrue(rules(ns, "-4").contains("32764:\tfrom all lookup main suppress_prefixlength 0"));
                assertTrue(rules(ns, "-4").contains("32765:\tfrom all lookup 171"));
                assertTrue(ns.exec("ip", "-4", "route", "show", "table", "171").stdout()
                        .contains("10.99.0.0/16 dev ctmsd0 proto static scope link metric 1024"));
                assertTrue(ns.exec("ip", "-6", "route", "show", "table", "171").stdout()
                        .contains("2001:db8:99::/48 dev ctmsd0 proto static metric 1024"));
                assertTrue(ns.exec("ip", "-4", "route", "show").stdout().contains("10.254.1.1 dev ctmsd0"));

                // someone deletes a rule; asking again puts it back
                ns.ip("-4", "rule", "del", "pref", "32765", "lookup", "171");
                t.addRule(v4);
                assertTrue(rules(ns, "-4").contains("32765:\tfrom all lookup 171"));

                t.remove(r4);
                t.remove(r4);
                t.remove(r6);
                t.remove(main);
                t.removeRule(v4);
                t.removeRule(v6);
                assertEquals("", ns.exec("ip", "-4", "route", "show", "table", "171").stdout().strip());
                assertFalse(rules(ns, "-4").contains("171"), rules(ns, "-4"));
                assertFalse(rules(ns, "-4").contains("suppress_prefixlength"));
                assertFalse(rules(ns, "-6").contains("suppress_prefixlength"));
                assertTrue(rules(ns, "-6").contains("32765:\tfrom all lookup 171"), "bmx7's rule is left alone");
                IOException e = assertThrows(IOException.class, () -> new IpRouteTable("ctmsnone").add(r4));
                assertTrue(e.getMessage().contains("ip -4 route replace 10.99.0.0/16"), e.getMessage());
            });
        }
    }
}
