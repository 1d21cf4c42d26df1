package io.cryptun.routing.bmx7;

import io.cryptun.routing.Fixtures;
import io.cryptun.routing.NodeId;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DescriptionsTextTest {

    private static Map<NodeId, Bmx7Description> byId(List<Bmx7Description> list) {
        Map<NodeId, Bmx7Description> m = new TreeMap<>();
        list.forEach(d -> m.put(d.nodeId(), d));
        return m;
    }

    @Test
    void smsDataInDescriptionsR0IsTheReceivedFileByteForByte() {
        Map<NodeId, Bmx7Description> all = byId(DescriptionsText.parse(Fixtures.text("socket/A.descriptions_r0.reply")));
        assertEquals(4, all.size());
        for (String id : new String[] {Fixtures.A, Fixtures.C, Fixtures.D}) {
            byte[] shown = all.get(NodeId.parse(id)).smsData("cryptun").orElseThrow();
            assertArrayEquals(Fixtures.bytes("sms/rcvdSms/" + id + ":cryptun"), shown, id);
        }
        assertTrue(all.get(NodeId.parse(Fixtures.B)).smsNames().isEmpty());
    }

    @Test
    void socketAndJsonAgreeOnEveryNode() {
        for (String reply : new String[] {"socket/A.descriptions_r0.reply", "socket/A.descriptions.reply",
                "socket/B.descriptions_r0.reply"}) {
            Map<NodeId, Bmx7Description> all = byId(DescriptionsText.parse(Fixtures.text(reply)));
            assertEquals(4, all.size(), reply);
            for (String id : new String[] {Fixtures.A, Fixtures.B, Fixtures.C, Fixtures.D}) {
                Bmx7Description json = JsonDescriptions.parse(NodeId.parse(id), Fixtures.text("json/descriptions/" + id));
                Bmx7Description text = all.get(NodeId.parse(id));
                assertEquals(json.tunNetworks(), text.tunNetworks(), reply + " " + id);
                assertEquals(json.hostname(), text.hostname());
                assertEquals(json.hna6(), text.hna6());
                assertEquals(json.tunnelAddresses(), text.tunnelAddresses());
                assertEquals(json.smsNames(), text.smsNames());
                assertEquals(json.descSha(), text.descSha());
            }
        }
    }

    @Test
    void oneNodeReplyParsesToo() {
        List<Bmx7Description> c = DescriptionsText.parse(Fixtures.text("socket/A.descriptions_name_nodeC_r0.reply"));
        assertEquals(1, c.size());
        assertEquals(NodeId.parse(Fixtures.C), c.get(0).nodeId());
        assertEquals(106, c.get(0).smsData("cryptun").orElseThrow().length);
    }

    @Test
    void inconsistentBlocksAreRefused() {
        String reply = Fixtures.text("socket/A.descriptions_name_nodeC_r0.reply");
        assertThrows(IllegalArgumentException.class,
                () -> DescriptionsText.parse(reply.replace("nodeId=" + Fixtures.C, "nodeId=" + Fixtures.D)),
                "key of C under D's id");
        assertThrows(IllegalArgumentException.class, () -> DescriptionsText.parse(reply.replace("len=106", "len=105")));
        assertThrows(IllegalArgumentException.class, () -> DescriptionsText.parse("garbage\n$"));
        assertEquals(List.of(), DescriptionsText.parse("DESCRIPTIONS:\n$"));
    }
}
