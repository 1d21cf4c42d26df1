package io.cryptun.routing.bmx7;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.routing.Fixtures;
import io.cryptun.routing.NodeId;
import io.cryptun.routing.TunNetwork;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonDescriptionsTest {

    private static Bmx7Description read(String id) {
        return JsonDescriptions.parse(NodeId.parse(id), Fixtures.text("json/descriptions/" + id));
    }

    @Test
    void gatewayCAnnouncesItsTunnelAddressesAndGw4Gw6() {
        Bmx7Description c = read(Fixtures.C);
        assertEquals("nodeC", c.hostname());
        assertEquals(15, c.descSqn());
        assertEquals("EC9223804029AD12C4C9D336A208EB8EEF1FD74F6BF3508218FA3B8A", c.descSha());
        assertEquals(List.of(
                new TunNetwork(IpPrefix.parse("10.254.3.1/32"), Bmx7Numbers.UMETRIC_MAX, 0, 0),
                new TunNetwork(IpPrefix.parse("10.99.0.0/16"), 31_457_280L, 0, 0),
                new TunNetwork(IpPrefix.parse("2001:db8:3::/64"), Bmx7Numbers.UMETRIC_MAX, 0, 0),
                new TunNetwork(IpPrefix.parse("2001:db8:99::/48"), 15_728_640L, 0, 0)), c.tunNetworks());
        assertEquals(List.of(NodeId.parse(Fixtures.C).tunnelAddress()), c.tunnelAddresses());
        assertTrue(c.announcesPrimaryAddress());
        assertEquals(Set.of("cryptun"), c.smsNames());
        assertTrue(c.smsData("cryptun").isEmpty(), "the json plugin does not show sms data");
    }

    @Test
    void gatewayDAnnouncesADefaultRoute() {
        Bmx7Description d = read(Fixtures.D);
        assertEquals("nodeD", d.hostname());
        assertTrue(d.tunNetworks().contains(new TunNetwork(IpPrefix.parse("0.0.0.0/0"), 92_274_688L, 0, 0)));
        assertTrue(d.tunNetworks().contains(new TunNetwork(IpPrefix.parse("10.99.0.0/16"), 7_864_320L, 0, 0)));
        assertEquals(4, d.tunNetworks().size());
    }

    @Test
    void nodeBPublishesNoSms() {
        Bmx7Description b = read(Fixtures.B);
        assertEquals("nodeB", b.hostname());
        assertFalse(b.carriesSms("cryptun"));
        assertEquals(2, b.tunNetworks().size());
    }

    @Test
    void aDescriptionUnderAnotherNodesNameIsRefused() {
        String cJson = Fixtures.text("json/descriptions/" + Fixtures.C);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JsonDescriptions.parse(NodeId.parse(Fixtures.D), cJson));
        assertTrue(e.getMessage().contains("hashes to 1A5C9522"), e.getMessage());
    }

    @Test
    void aFileCaughtMidRewriteIsRefusedNotMisread() {
        String cJson = Fixtures.text("json/descriptions/" + Fixtures.C);
        for (int cut = 0; cut < cJson.length(); cut += 97) {
            String partial = cJson.substring(0, cut);
            assertThrows(IllegalArgumentException.class, () -> JsonDescriptions.parse(NodeId.parse(Fixtures.C), partial));
        }
        assertThrows(IllegalArgumentException.class, () -> JsonDescriptions.parse(NodeId.parse(Fixtures.C),
                "{ \"descSha\": \"00\", \"extensions\": [ ] }"), "no node key, no trust");
    }
}
