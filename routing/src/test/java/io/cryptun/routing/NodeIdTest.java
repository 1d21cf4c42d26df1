package io.cryptun.routing;

import io.cryptun.routing.bmx7.JsonReader;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NodeIdTest {
    /** The fixtures README's table: id, primary (fd70) and tunnel (fd71) address of each node. */
    private static final String[][] TABLE = {
            {Fixtures.A, "fd70:1265:da42:1cd0:c5a4:77cf:3d86:a77f", "fd71:1265:da42:1cd0:c5a4:77cf:3d86:a77f"},
            {Fixtures.B, "fd70:80ef:62ac:6311:7ea3:ca48:79be:4f82", "fd71:80ef:62ac:6311:7ea3:ca48:79be:4f82"},
            {Fixtures.C, "fd70:1a5c:9522:fe2a:e9ac:41ad:d74a:b5dc", "fd71:1a5c:9522:fe2a:e9ac:41ad:d74a:b5dc"},
            {Fixtures.D, "fd70:6f34:e14:8eb6:6a89:551b:ce02:3228", "fd71:6f34:e14:8eb6:6a89:551b:ce02:3228"},
    };

    @Test
    void addressesOfEveryFixtureNodeMatchTheReadmeTable() throws Exception {
        for (String[] row : TABLE) {
            NodeId id = NodeId.parse(row[0]);
            assertEquals(row[0], id.toString());
            assertEquals(row[0].substring(0, 8), id.shortId());
            assertEquals(InetAddress.getByName(row[1]), id.primaryAddress(), row[0]);
            assertEquals(InetAddress.getByName(row[2]), id.tunnelAddress(), row[0]);
            assertTrue(id.isPrimaryAddress(InetAddress.getByName(row[1])));
            assertFalse(id.isPrimaryAddress(InetAddress.getByName(row[2])));
        }
    }

    @Test
    void nodeKeyInEveryCapturedDescriptionHashesToItsFileName() {
        for (String[] row : TABLE) {
            Map<String, Object> root = JsonReader.parseObject(Fixtures.text("json/descriptions/" + row[0]));
            @SuppressWarnings("unchecked")
            List<Object> ext = (List<Object>) root.get("extensions");
            @SuppressWarnings("unchecked")
            Map<String, Object> key = ((List<Map<String, Object>>) ((Map<String, Object>) ext.get(0)).get("DSC_NODE_KEY")).get(0);
            byte[] modulus = HexFormat.of().parseHex(((String) key.get("key")).toLowerCase());
            assertEquals(256, modulus.length, "RSA2048 modulus");
            assertEquals(6L, key.get("type"));
            assertEquals(NodeId.parse(row[0]), NodeId.fromNodeKey(6, modulus));
            assertNotEquals(NodeId.parse(row[0]), NodeId.fromNodeKey(5, modulus), "the key type is hashed too");
        }
    }

    @Test
    void primaryAddressesAgreeWithBmx7sShowKeys() throws Exception {
        String keys = Fixtures.text("socket/A.show_keys.reply");
        for (String[] row : TABLE) {
            String line = keys.lines().filter(l -> l.contains(row[0])).findFirst().orElseThrow();
            String shown = line.split(" +")[18];
            assertEquals(NodeId.parse(row[0]).primaryAddress(), InetAddress.getByName(shown));
        }
    }

    @Test
    void parsingIsStrictAndCaseInsensitive() {
        assertEquals(NodeId.parse(Fixtures.C), NodeId.parse(Fixtures.C.toLowerCase()));
        assertThrows(IllegalArgumentException.class, () -> NodeId.parse(Fixtures.C.substring(1)));
        assertThrows(IllegalArgumentException.class, () -> NodeId.parse(Fixtures.C.substring(1) + "G"));
        assertThrows(IllegalArgumentException.class, () -> NodeId.parse(null));
        assertThrows(IllegalArgumentException.class, () -> NodeId.of(new byte[27]));
        byte[] raw = NodeId.parse(Fixtures.D).bytes();
        raw[0] = 0;
        assertArrayEquals(HexFormat.of().parseHex(Fixtures.D.toLowerCase()), NodeId.parse(Fixtures.D).bytes(),
                "bytes() is a copy");
    }

    @Test
    void orderIsUnsignedBytewise() {
        assertTrue(NodeId.parse(Fixtures.C).compareTo(NodeId.parse(Fixtures.D)) < 0);
        assertTrue(NodeId.parse(Fixtures.B).compareTo(NodeId.parse(Fixtures.D)) > 0, "0x80 sorts after 0x6F");
    }
}
