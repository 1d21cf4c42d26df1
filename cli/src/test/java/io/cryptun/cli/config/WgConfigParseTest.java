package io.cryptun.cli.config;

import static io.cryptun.cli.config.TestKeys.PRIV1;
import static io.cryptun.cli.config.TestKeys.PSK;
import static io.cryptun.cli.config.TestKeys.PUB1;
import static io.cryptun.cli.config.TestKeys.PUB2;
import static io.cryptun.cli.config.TestKeys.PUB3;
import static io.cryptun.cli.config.TestKeys.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.noise.allowedips.IpPrefix;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class WgConfigParseTest {
    private static final String FILE = "/etc/wireguard/wg0.conf";

    private static WgConfig parse(String text) throws ConfigException {
        return WgConfig.parse(FILE, text);
    }

    @Test
    void minimalConfigHasOnlyThePrivateKey() throws Exception {
        WgConfig c = parse("[Interface]\nPrivateKey = " + PRIV1 + "\n");
        InterfaceSection i = c.iface();
        assertArrayEquals(bytes(PRIV1), i.privateKey());
        assertEquals(OptionalInt.empty(), i.listenPort());
        assertEquals(OptionalLong.empty(), i.fwMark());
        assertEquals(List.of(), i.addresses());
        assertEquals(OptionalInt.empty(), i.mtu());
        assertEquals(List.of(), i.dns());
        assertEquals(Optional.empty(), i.table());
        assertEquals(List.of(), i.postUp());
        assertFalse(i.saveConfig());
        assertEquals(List.of(), c.peers());
    }

    @Test
    void fullWgQuickConfig() throws Exception {
        String text = String.join("\n",
                "# wg0 on the gateway",
                "[Interface]",
                "Address = 10.0.0.7/24, fd00::7/64",
                "Address = 10.1.0.1",
                "ListenPort = 51820",
                "FwMark = 0x1234",
                "PrivateKey = " + PRIV1,
                "MTU = 1420",
                "DNS = 1.1.1.1, 2606:4700:4700::1111 example.com",
                "Table = off",
                "PreUp = echo pre # this comment stays, as in wg-quick",
                "PostUp = iptables -A FORWARD -i %i -j ACCEPT; iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE",
                "PostUp = logger up=yes",
                "PreDown = echo down",
                "PostDown = iptables -D FORWARD -i %i -j ACCEPT",
                "SaveConfig = true",
                "",
                "[Peer]",
                "PublicKey = " + PUB2,
                "PresharedKey = " + PSK,
                "AllowedIPs = 10.0.0.2/32, fd00::2/128",
                "AllowedIPs = 192.168.0.0/16",
                "Endpoint = vpn.example.com:51820",
                "PersistentKeepalive = 25",
                "");
        WgConfig c = parse(text);
        InterfaceSection i = c.iface();
        assertArrayEquals(bytes(PRIV1), i.privateKey());
        assertEquals(OptionalInt.of(51820), i.listenPort());
        assertEquals(OptionalLong.of(0x1234), i.fwMark());
        assertEquals(List.of("10.0.0.7/24", "fd00::7/64", "10.1.0.1/32"), i.addresses().stream().map(Object::toString).toList());
        assertEquals(IpPrefix.parse("10.0.0.0/24"), i.addresses().get(0).network());
        assertEquals(OptionalInt.of(1420), i.mtu());
        assertEquals(List.of("1.1.1.1", "2606:4700:4700::1111", "example.com"), i.dns());
        assertEquals(Optional.of("off"), i.table());
        assertEquals(List.of("echo pre # this comment stays, as in wg-quick"), i.preUp());
        assertEquals(List.of("iptables -A FORWARD -i %i -j ACCEPT; iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE",
                "logger up=yes"), i.postUp());
        assertEquals(List.of("echo down"), i.preDown());
        assertEquals(List.of("iptables -D FORWARD -i %i -j ACCEPT"), i.postDown());
        assertTrue(i.saveConfig());

        assertEquals(1, c.peers().size());
        PeerSection p = c.peers().get(0);
        assertArrayEquals(bytes(PUB2), p.publicKey());
        assertArrayEquals(bytes(PSK), p.presharedKey().orElseThrow());
        assertEquals(List.of(IpPrefix.parse("10.0.0.2/32"), IpPrefix.parse("fd00::2/128"), IpPrefix.parse("192.168.0.0/16")),
                p.allowedIps());
        assertEquals(Optional.of(new Endpoint("vpn.example.com", 51820)), p.endpoint());
        assertFalse(p.endpoint().orElseThrow().isLiteral());
        assertEquals(25, p.persistentKeepalive());
    }

    @Test
    void multiplePeersWithIpv4AndIpv6Endpoints() throws Exception {
        WgConfig c = parse("[Interface]\nPrivateKey = " + PRIV1 + "\n"
                + "[Peer]\nPublicKey = " + PUB1 + "\nEndpoint = 192.0.2.1:51820\n"
                + "[Peer]\nPublicKey = " + PUB2 + "\nEndpoint = [2001:DB8:0:0::1]:443\nAllowedIPs = ::/0\n"
                + "[Peer]\nPublicKey = " + PUB3 + "\nEndpoint = [fe80::1%eth0]:1\n");
        assertEquals(3, c.peers().size());
        assertEquals(new Endpoint("192.0.2.1", 51820), c.peers().get(0).endpoint().orElseThrow());
        Endpoint v6 = c.peers().get(1).endpoint().orElseThrow();
        assertEquals(new Endpoint("2001:db8::1", 443), v6, "IPv6 literal kept canonical, without brackets");
        assertEquals("[2001:db8::1]:443", v6.toString());
        assertTrue(v6.isLiteral());
        assertEquals(List.of(IpPrefix.parse("::/0")), c.peers().get(1).allowedIps());
        assertEquals("[fe80::1%eth0]:1", c.peers().get(2).endpoint().orElseThrow().toString());
        assertEquals(List.of(PUB1, PUB2, PUB3), c.peers().stream().map(p -> TestKeys.base64(p.publicKey())).toList());
    }

    @Test
    void oddWhitespaceCaseCommentsCrlfAndBom() throws Exception {
        String text = "\uFEFF# leading comment\r\n"
                + "   \t \r\n"
                + "  [ interface ]   # section comment\r\n"
                + "privatekey=" + PRIV1 + "#no space before comment\r\n"
                + "LISTENPORT\t=\t 5 18 20  \r\n"
                + "fwmark = OFF\r\n"
                + "\r\n"
                + "[PEER]\r\n"
                + "  publicKEY   =   " + PUB2 + "   \r\n"
                + "allowedips = 10.0.0.0 / 8 ,fd00::/64,\t192.168.1.1\r\n"
                + "ENDPOINT = [ fd00::1 ] : 51820\r\n"
                + "Persistent Keepalive = off\r\n";
        WgConfig c = parse(text);
        assertArrayEquals(bytes(PRIV1), c.iface().privateKey());
        assertEquals(OptionalInt.of(51820), c.iface().listenPort(), "wg drops whitespace inside its own values");
        assertEquals(OptionalLong.of(0), c.iface().fwMark());
        PeerSection p = c.peers().get(0);
        assertArrayEquals(bytes(PUB2), p.publicKey());
        assertEquals(List.of(IpPrefix.parse("10.0.0.0/8"), IpPrefix.parse("fd00::/64"), IpPrefix.parse("192.168.1.1/32")),
                p.allowedIps());
        assertEquals(new Endpoint("fd00::1", 51820), p.endpoint().orElseThrow());
        assertEquals(0, p.persistentKeepalive());
    }

    @Test
    void interfaceMayComeAfterPeersAsWgAllows() throws Exception {
        WgConfig c = parse("[Peer]\nPublicKey = " + PUB2 + "\n[Interface]\nPrivateKey = " + PRIV1 + "\n");
        assertArrayEquals(bytes(PRIV1), c.iface().privateKey());
        assertEquals(1, c.peers().size());
    }

    @Test
    void peerWithOnlyAPublicKeyHasDefaults() throws Exception {
        PeerSection p = parse("[Interface]\nPrivateKey = " + PRIV1 + "\n[Peer]\nPublicKey = " + PUB2).peers().get(0);
        assertEquals(Optional.empty(), p.presharedKey().map(b -> "present"));
        assertEquals(Optional.empty(), p.endpoint());
        assertEquals(List.of(), p.allowedIps());
        assertEquals(0, p.persistentKeepalive());
    }

    @Test
    void numbersInEveryFormWgAccepts() throws Exception {
        assertEquals(OptionalLong.of(1234), iface("FwMark = 1234").fwMark());
        assertEquals(OptionalLong.of(0xffffffffL), iface("FwMark = 0xffffffff").fwMark());
        assertEquals(OptionalLong.of(0xabcL), iface("FwMark = 0x0000000000000abc").fwMark());
        assertEquals(OptionalLong.of(0), iface("FwMark = 0").fwMark());
        assertEquals(OptionalLong.of(0), iface("FwMark = off").fwMark());
        assertEquals(OptionalInt.of(0), iface("ListenPort = 0").listenPort());
        assertEquals(OptionalInt.of(65535), iface("ListenPort = 65535").listenPort());
        assertEquals(OptionalInt.of(80), iface("ListenPort = 00080").listenPort());
        assertEquals(65535, peer("PersistentKeepalive = 65535").persistentKeepalive());
        assertEquals(0, peer("PersistentKeepalive = 0").persistentKeepalive());
        assertEquals(0, peer("PersistentKeepalive = Off").persistentKeepalive());
        assertEquals(1, peer("PersistentKeepalive = 1").persistentKeepalive());
    }

    @Test
    void wgQuickValuesThatMeanNothingSetAreAccepted() throws Exception {
        InterfaceSection i = iface("MTU =\nTable =\nDNS =\nAddress =\nPostUp =\nSaveConfig = FALSE");
        assertEquals(OptionalInt.empty(), i.mtu());
        assertEquals(Optional.empty(), i.table());
        assertEquals(List.of(), i.dns());
        assertEquals(List.of(), i.addresses());
        assertEquals(List.of(), i.postUp());
        assertFalse(i.saveConfig());
        assertEquals(Optional.of("1234"), iface("Table = 1234").table());
        assertEquals(Optional.of("auto"), iface("Table = auto").table());
    }

    @Test
    void allowedIpsAreCanonicalizedAndRepeatsDropped() throws Exception {
        List<String> warnings = new ArrayList<>();
        WgConfig c = WgConfig.parse(FILE, "[Interface]\nPrivateKey = " + PRIV1 + "\n[Peer]\nPublicKey = " + PUB2 + "\n"
                + "AllowedIPs = 10.1.2.3/8, FD00:0000::0001/128, 10.0.0.0/8, ::ffff:1.2.3.4/128\n", warnings::add);
        assertEquals(List.of("10.0.0.0/8", "fd00::1/128", "::ffff:1.2.3.4/128"),
                c.peers().get(0).allowedIps().stream().map(Object::toString).toList());
        assertEquals(List.of(FILE + ":5: warning: AllowedIPs entry '10.1.2.3/8' has host bits set; it means 10.0.0.0/8"),
                warnings);
    }

    @Test
    void aPrefixGivenToTwoPeersIsAWarning() throws Exception {
        List<String> warnings = new ArrayList<>();
        WgConfig c = WgConfig.parse(FILE, "[Interface]\nPrivateKey = " + PRIV1 + "\n"
                + "[Peer]\nPublicKey = " + PUB2 + "\nAllowedIPs = 10.0.0.0/8\n"
                + "[Peer]\nPublicKey = " + PUB3 + "\nAllowedIPs = 10.0.0.0/8, 10.0.0.0/8\n", warnings::add);
        assertEquals(List.of(IpPrefix.parse("10.0.0.0/8")), c.peers().get(1).allowedIps());
        assertEquals(List.of(FILE + ":8: warning: AllowedIPs 10.0.0.0/8 is also given to the [Peer] on line 3;"
                + " this later peer takes it over"), warnings);
    }

    @Test
    void noTrailingNewlineAndEmptyTrailingLinesAreFine() throws Exception {
        assertEquals(1, parse("[Interface]\nPrivateKey=" + PRIV1 + "\n[Peer]\nPublicKey=" + PUB2).peers().size());
        assertEquals(1, parse("[Interface]\nPrivateKey=" + PRIV1 + "\n[Peer]\nPublicKey=" + PUB2 + "\n\n\n  \n").peers().size());
    }

    @Test
    void recordsNeverShowSecrets() throws Exception {
        WgConfig c = parse("[Interface]\nPrivateKey = " + PRIV1 + "\n[Peer]\nPublicKey = " + PUB2 + "\nPresharedKey = " + PSK);
        String shown = c.toString();
        assertFalse(shown.contains(PRIV1), shown);
        assertFalse(shown.contains(PSK), shown);
        assertTrue(shown.contains(PUB2), shown);
    }

    @Test
    void accessorsReturnCopies() throws Exception {
        WgConfig c = parse("[Interface]\nPrivateKey = " + PRIV1 + "\n[Peer]\nPublicKey = " + PUB2 + "\nPresharedKey = " + PSK);
        c.iface().privateKey()[0] ^= 1;
        c.peers().get(0).publicKey()[0] ^= 1;
        c.peers().get(0).presharedKey().orElseThrow()[0] ^= 1;
        assertArrayEquals(bytes(PRIV1), c.iface().privateKey());
        assertArrayEquals(bytes(PUB2), c.peers().get(0).publicKey());
        assertArrayEquals(bytes(PSK), c.peers().get(0).presharedKey().orElseThrow());
        assertEquals(c, parse("[Interface]\nPrivateKey = " + PRIV1 + "\n[Peer]\nPublicKey = " + PUB2 + "\nPresharedKey = " + PSK));
    }

    private static InterfaceSection iface(String lines) throws ConfigException {
        return parse("[Interface]\nPrivateKey = " + PRIV1 + "\n" + lines + "\n").iface();
    }

    private static PeerSection peer(String lines) throws ConfigException {
        return parse("[Interface]\nPrivateKey = " + PRIV1 + "\n[Peer]\nPublicKey = " + PUB2 + "\n" + lines + "\n").peers().get(0);
    }
}
