package io.cryptun.routing.bmx7;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.routing.Fixtures;
import io.cryptun.routing.NodeId;
import io.cryptun.routing.TunnelSearch;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Bmx7TablesTest {

    @Test
    void tablesSplitOnRunsOfSpaces() {
        Bmx7Table t = Bmx7Table.parse(Fixtures.text("socket/A.show_status.reply"));
        assertEquals("STATUS", t.name());
        assertEquals(1, t.rows().size());
        assertEquals("fd70:1265:da42:1cd0:c5a4:77cf:3d86:a77f", t.rows().get(0).get("primaryIp"));
        assertEquals("4/4", t.rows().get(0).get("nodes"));
        assertThrows(IllegalArgumentException.class, () -> Bmx7Table.parse("ERROR x\n"));
        assertThrows(IllegalArgumentException.class, () -> Bmx7Table.parse("T:\na b\n1 2 3\n$"));
    }

    @Test
    void originatorsFromSocketJsonFilesAndJshowAgree() {
        List<Originator> table = Originator.fromTable(Bmx7Table.parse(Fixtures.text("socket/A.show_originators_r0.reply")));
        List<Originator> jshow = Originator.fromJshow(Fixtures.text("socket/A.jshow_originators.reply").replaceAll("\\$$", ""));
        assertEquals(table, jshow);
        assertEquals(4, table.size());
        for (Originator o : table) {
            assertTrue(o.primaryIpMatchesId(), o.toString());
            Originator file = Originator.fromJsonText(Fixtures.text("json/originators/" + o.nodeId()));
            assertEquals(o.nodeId(), file.nodeId());
            assertEquals(o.primaryIp(), file.primaryIp());
        }
        Originator c = table.stream().filter(o -> o.nodeId().equals(NodeId.parse(Fixtures.C))).findFirst().orElseThrow();
        assertEquals("nodeC", c.name());
        assertEquals(706_000_000L, c.pathMetric());
        assertEquals(2, c.hops());
        Originator a = table.stream().filter(o -> o.nodeId().equals(NodeId.parse(Fixtures.A))).findFirst().orElseThrow();
        assertEquals(0, a.hops(), "the local node lists itself");
    }

    @Test
    void plainOriginatorsTableHasNoFullIdsAndIsRefused() {
        Bmx7Table t = Bmx7Table.parse(Fixtures.text("socket/A.show_originators.reply"));
        assertThrows(IllegalArgumentException.class, () -> Originator.fromTable(t));
        List<Originator> keys = Originator.fromTable(Bmx7Table.parse(Fixtures.text("socket/A.show_keys.reply")));
        assertEquals(4, keys.size());
        assertEquals(0, keys.get(0).pathMetric(), "show=keys has no metric column");
    }

    @Test
    void tunnelRowsShowWhatBmx7Chose() {
        List<TunnelRow> rows = TunnelRow.fromTable(Bmx7Table.parse(Fixtures.text("socket/A.show_tunnels.reply")));
        assertEquals(10, rows.size());
        List<TunnelRow> active = rows.stream().filter(TunnelRow::isActive).toList();
        assertEquals(9, active.size());
        TunnelRow d99 = rows.stream().filter(r -> r.advNet().equals(IpPrefix.parse("10.99.0.0/16")) && r.isActive())
                .findFirst().orElseThrow();
        assertEquals("6F340E14", d99.remoteShortId());
        assertEquals("nodeD", d99.remoteName());
        assertEquals(7_864_320L, d99.advBandwidth());
        assertEquals(706_000_000L, d99.pathMetric());
        assertEquals(493_000_000L, d99.tunMetric());
        assertEquals(8, d99.minPrefixLen());
        assertEquals(960, d99.minBandwidth());
        assertEquals(IpPrefix.parse("10.0.0.0/8"), d99.searchNet());

        List<TunnelRow> json = TunnelRow.fromJshow(Fixtures.text("socket/A.jshow_tunnels.reply").replaceAll("\\$$", ""));
        assertEquals(rows, json, "show=tunnels and jshow=tunnels carry the same rows");

        List<TunnelRow> afterStop = TunnelRow.fromTable(Bmx7Table.parse(Fixtures.text("socket/A.show_tunnels_after_D_stop.reply")));
        TunnelRow placeholder = afterStop.get(0);
        assertEquals("v4dflt", placeholder.tunOut());
        assertFalse(placeholder.hasAnnouncement());
        assertFalse(placeholder.isActive());
        assertNull(placeholder.advNet());
        assertEquals(-1, placeholder.tunMetric());
    }

    @Test
    void parametersGiveASearchesAsConfigured() {
        Bmx7Options o = Bmx7Options.parse(Fixtures.text("json/parameters"));
        assertEquals(List.of(
                TunnelSearch.of("v4any", IpPrefix.parse("10.0.0.0/8")),
                TunnelSearch.of("v6any", IpPrefix.parse("2001:db8::/32")),
                TunnelSearch.builder("v4dflt", IpPrefix.parse("0.0.0.0/0")).maxPrefixLen(0).build()),
                o.tunnelSearches());
        assertEquals("cryptun", o.get("syncSms").get(0).value());
        assertEquals("10.254.1.1/32", o.get("tunDev").get(0).children().get("tun4Address"));
        assertEquals(List.of(), o.get("tunIn"));
    }
}
