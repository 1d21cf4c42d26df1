package io.cryptun.cli.config;

import static io.cryptun.cli.config.TestKeys.PRIV1;
import static io.cryptun.cli.config.TestKeys.PSK;
import static io.cryptun.cli.config.TestKeys.PUB1;
import static io.cryptun.cli.config.TestKeys.PUB2;
import static io.cryptun.cli.config.TestKeys.PUB3;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class WgFormatRoundTripTest {
    private static final String WG_QUICK_STYLE = String.join("\n",
            "[interface]",
            "address = 10.0.0.1/24",
            "privatekey = " + PRIV1,
            "fwmark = 51820",
            "listenport = 51820",
            "DNS = 10.0.0.53",
            "PostUp = echo up",
            "[peer]",
            "publickey = " + PUB1,
            "persistentkeepalive = 25",
            "endpoint = [2001:DB8::1]:51820",
            "allowedips = 10.0.0.2, fd00::2/128, 10.9.9.9/8",
            "presharedkey = " + PSK,
            "[peer]",
            "publickey = " + PUB2,
            "[peer]",
            "publickey = " + PUB3,
            "endpoint = vpn.example.com:443",
            "allowedips = ::ffff:192.0.2.1/128",
            "PersistentKeepalive = off",
            "");

    /** What {@code wg showconf} prints for the same device, layout and order included. */
    private static final String SHOWCONF = String.join("\n",
            "[Interface]",
            "ListenPort = 51820",
            "FwMark = 0xca6c",
            "PrivateKey = " + PRIV1,
            "",
            "[Peer]",
            "PublicKey = " + PUB1,
            "PresharedKey = " + PSK,
            "AllowedIPs = 10.0.0.2/32, fd00::2/128, 10.0.0.0/8",
            "Endpoint = [2001:db8::1]:51820",
            "PersistentKeepalive = 25",
            "",
            "[Peer]",
            "PublicKey = " + PUB2,
            "",
            "[Peer]",
            "PublicKey = " + PUB3,
            "AllowedIPs = ::ffff:192.0.2.1/128",
            "Endpoint = vpn.example.com:443",
            "");

    @Test
    void writesShowconfLayout() throws Exception {
        assertEquals(SHOWCONF, WgConfig.parse("a.conf", WG_QUICK_STYLE).toWgFormat());
    }

    @Test
    void parseWriteParseKeepsTheWgPart() throws Exception {
        WgConfig first = WgConfig.parse("a.conf", WG_QUICK_STYLE);
        WgConfig second = WgConfig.parse("b.conf", first.toWgFormat());
        InterfaceSection i = first.iface();
        assertEquals(InterfaceSection.of(i.privateKey(), i.listenPort(), i.fwMark()), second.iface());
        assertEquals(first.peers(), second.peers());
        assertEquals(first.toWgFormat(), second.toWgFormat());
    }

    @Test
    void interfaceWithoutPeersOrOptions() throws Exception {
        String text = "[Interface]\nPrivateKey = " + PRIV1 + "\n\n";
        WgConfig c = WgConfig.parse("a.conf", text);
        assertEquals(text, c.toWgFormat());
        assertEquals(c, WgConfig.parse("b.conf", c.toWgFormat()));
    }

    @Test
    void zeroPortAndMarkAreLeftOutAsShowconfDoes() throws Exception {
        WgConfig c = WgConfig.parse("a.conf", "[Interface]\nPrivateKey = " + PRIV1 + "\nListenPort = 0\nFwMark = off\n");
        assertEquals("[Interface]\nPrivateKey = " + PRIV1 + "\n\n", c.toWgFormat());
    }

    @Test
    void builtInCodeRoundTripsToo() throws Exception {
        WgConfig built = new WgConfig(
                InterfaceSection.of(TestKeys.bytes(PRIV1), java.util.OptionalInt.of(1), java.util.OptionalLong.of(0xffffffffL)),
                List.of(new PeerSection(TestKeys.bytes(PUB2), java.util.Optional.empty(),
                        java.util.Optional.of(new Endpoint("192.0.2.7", 65535)),
                        List.of(io.cryptun.noise.allowedips.IpPrefix.parse("0.0.0.0/0"), io.cryptun.noise.allowedips.IpPrefix.parse("::/0")),
                        65535)));
        String text = built.toWgFormat();
        assertEquals(String.join("\n", "[Interface]", "ListenPort = 1", "FwMark = 0xffffffff", "PrivateKey = " + PRIV1, "",
                "[Peer]", "PublicKey = " + PUB2, "AllowedIPs = 0.0.0.0/0, ::/0", "Endpoint = 192.0.2.7:65535",
                "PersistentKeepalive = 65535", ""), text);
        assertEquals(built, WgConfig.parse("b.conf", text));
    }
}
