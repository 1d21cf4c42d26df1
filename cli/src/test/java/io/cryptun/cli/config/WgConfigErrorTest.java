package io.cryptun.cli.config;

import static io.cryptun.cli.config.TestKeys.PRIV1;
import static io.cryptun.cli.config.TestKeys.PSK;
import static io.cryptun.cli.config.TestKeys.PUB1;
import static io.cryptun.cli.config.TestKeys.PUB2;
import static io.cryptun.cli.config.TestKeys.PUB3;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** One test per kind of mistake: the exact one-line message, and no secret in it. */
class WgConfigErrorTest {
    private static final String FILE = "/etc/wireguard/wg0.conf";
    private static final String HEAD = "[Interface]\nPrivateKey = " + PRIV1 + "\n";
    private static final String PEER = HEAD + "[Peer]\nPublicKey = " + PUB2 + "\nPresharedKey = " + PSK + "\n";

    /** Asserts the message is exactly {@code FILE:line: problem} and holds no secret. */
    static void assertError(String text, int line, String problem) {
        ConfigException e = assertThrows(ConfigException.class, () -> WgConfig.parse(FILE, text));
        assertEquals(FILE + ":" + line + ": " + problem, e.getMessage());
        assertEquals(OptionalInt.of(line), e.line());
        assertEquals(problem, e.problem());
        assertNoSecret(e.getMessage());
    }

    static void assertNoSecret(String message) {
        assertFalse(message.contains("\n") || message.contains("\r"), message);
        for (String secret : new String[] {PRIV1, PSK}) {
            for (int i = 0; i + 12 <= secret.length(); i++) {
                String window = secret.substring(i, i + 12);
                assertFalse(message.contains(window), "secret fragment " + i + " in: " + message);
            }
        }
    }

    @Test
    void badBase64Key() {
        assertError("[Interface]\nPrivateKey = abc\n", 2,
                "PrivateKey is not a valid key: key is not 44 characters of base64 ending in '='");
        assertError(HEAD + "[Peer]\nPublicKey = " + "!".repeat(43) + "=\n", 4,
                "PublicKey is not a valid key: key is not valid base64");
    }

    @Test
    void keyOfWrongLength() {
        assertError(HEAD + "[Peer]\n\n\n\nPublicKey = " + PUB2.substring(1) + "\n", 7,
                "PublicKey is not a valid key: key is not 44 characters of base64 ending in '='");
        assertError(HEAD + "[Peer]\nPublicKey = " + PUB2.substring(0, 42) + "==\n", 4,
                "PublicKey is not a valid key: key is not 44 characters of base64 ending in '='");
        assertError("[Interface]\nPrivateKey = " + PRIV1.substring(0, 40) + "\n", 2,
                "PrivateKey is not a valid key: key is not 44 characters of base64 ending in '='");
    }

    @Test
    void keyWithStrayBitsInItsLastCharacterIsRefusedAsWgDoes() {
        // PRIV1 ends in "2U="; 'V' differs from 'U' only in the bits a 32-byte key leaves unused
        String stray = PRIV1.substring(0, 42) + "V=";
        assertError("[Interface]\nPrivateKey = " + stray + "\n", 2,
                "PrivateKey is not a valid key: the character before '=' is not one a 32-byte key can end in");
        assertError(PEER.replace("PresharedKey = " + PSK, "PresharedKey = " + PSK.substring(0, 42) + "t="), 5,
                "PresharedKey is not a valid key: the character before '=' is not one a 32-byte key can end in");
    }

    @Test
    void allZeroPrivateKey() {
        assertError("[Interface]\nPrivateKey = " + "A".repeat(43) + "=\n", 2, "PrivateKey is all zeros, which means no key");
    }

    @Test
    void unknownKey() {
        assertError(HEAD + "ListenPrt = 51820\n", 3, "unknown key 'ListenPrt' in [Interface]");
        assertError(PEER + "PersistentKeepalve = 25\n", 6, "unknown key 'PersistentKeepalve' in [Peer]");
        assertError(HEAD + "PublicKey = " + PUB2 + "\n", 3, "PublicKey belongs in [Peer], not in [Interface]");
        assertError(PEER + "Address = 10.0.0.1/24\n", 6, "Address belongs in [Interface], not in [Peer]");
    }

    @Test
    void lostEqualsSignDoesNotShowTheKey() {
        // the key's own trailing '=' is then the first '=' on the line
        assertError("[Interface]\nPrivateKey " + PRIV1 + "\n", 2,
                "unknown key in [Interface]: it starts with PrivateKey but goes on (is the '=' missing?)");
        assertError(PEER.replace("PresharedKey = ", "PresharedKey"), 5,
                "unknown key in [Peer]: it starts with PresharedKey but goes on (is the '=' missing?)");
        assertError("[Interface]\n" + PRIV1 + "\n", 2, "unknown key (too long to show) in [Interface]");
    }

    @Test
    void lostNewlineDoesNotShowTheKey() {
        assertError("[Interface]\nListenPort = 51820PrivateKey = " + PRIV1 + "\n", 2,
                "ListenPort is not a port number from 0 to 65535: '<hidden>'");
        assertError(HEAD + "[Peer]PresharedKey = " + PSK + "\n", 3,
                "malformed section header (expected [Interface] or [Peer])");
        assertError(HEAD + "[Peer]\nPublicKey = " + PUB2 + "\nEndpoint = 192.0.2.1PresharedKey = " + PSK + "\n", 5,
                "Endpoint '192.0.2.<hidden>' is not valid: no port (expected host:port or [IPv6]:port)");
    }

    @Test
    void unknownSection() {
        assertError(HEAD + "[Peers]\n", 3, "unknown section '[Peers]' (expected [Interface] or [Peer])");
        assertError(HEAD + "[Peer\n", 3, "malformed section header (expected [Interface] or [Peer])");
        assertError(HEAD + "[]\n", 3, "unknown section '[]' (expected [Interface] or [Peer])");
    }

    @Test
    void keyOutsideASection() {
        assertError("# no section yet\nListenPort = 51820\n" + HEAD, 2,
                "key 'ListenPort' comes before any [Interface] or [Peer] section");
        assertError("PrivateKey = " + PRIV1 + "\n", 1, "key 'PrivateKey' comes before any [Interface] or [Peer] section");
    }

    @Test
    void duplicateInterface() {
        assertError(HEAD + "[Peer]\nPublicKey = " + PUB2 + "\n\n[interface]\nListenPort = 1\n", 6,
                "a second [Interface] section (the first is on line 1)");
    }

    @Test
    void missingInterfaceOrPrivateKey() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> WgConfig.parse(FILE, "[Peer]\nPublicKey = " + PUB2 + "\n"));
        assertEquals(FILE + ": no [Interface] section", e.getMessage());
        assertEquals(OptionalInt.empty(), e.line());
        e = assertThrows(ConfigException.class, () -> WgConfig.parse(FILE, ""));
        assertEquals(FILE + ": no [Interface] section", e.getMessage());
        assertError("\n[Interface]\nListenPort = 51820\n", 2, "[Interface] has no PrivateKey");
    }

    @Test
    void peerWithoutPublicKey() {
        assertError(HEAD + "[Peer]\nAllowedIPs = 10.0.0.0/8\n", 3, "[Peer] has no PublicKey");
        assertError(HEAD + "[Peer]\nEndpoint = 192.0.2.1:1\n[Peer]\nPublicKey = " + PUB2 + "\n", 3, "[Peer] has no PublicKey");
        assertError("[Peer]\n[Interface]\nPrivateKey = " + PRIV1 + "\n", 1, "[Peer] has no PublicKey");
    }

    @Test
    void duplicatePeerPublicKey() {
        assertError(HEAD + "[Peer]\nPublicKey = " + PUB2 + "\n[Peer]\nPublicKey = " + PUB3 + "\n[Peer]\nPublicKey = " + PUB2 + "\n", 8,
                "another [Peer] already has PublicKey " + PUB2.substring(0, 8) + "… (line 4)");
    }

    @Test
    void keyGivenTwiceInASection() {
        assertError(HEAD + "ListenPort = 1\nListenPort = 2\n", 4, "ListenPort is given twice in this section (first on line 3)");
        assertError(HEAD + "PrivateKey = " + PRIV1 + "\n", 3, "PrivateKey is given twice in this section (first on line 2)");
        assertError(PEER + "publickey = " + PUB3 + "\n", 6, "PublicKey is given twice in this section (first on line 4)");
    }

    @Test
    void badListenPort() {
        assertError(HEAD + "ListenPort = 65536\n", 3, "ListenPort is not a port number from 0 to 65535: '65536'");
        assertError(HEAD + "ListenPort = -1\n", 3, "ListenPort is not a port number from 0 to 65535: '-1'");
        assertError(HEAD + "ListenPort = wireguard\n", 3, "ListenPort is not a port number from 0 to 65535: 'wireguard'");
        assertError(HEAD + "ListenPort = 99999999999999999999999\n", 3,
                "ListenPort is not a port number from 0 to 65535: '99999999999999999999999'");
        assertError(HEAD + "ListenPort =   # nothing\n", 3, "ListenPort has no value");
    }

    @Test
    void badFwMark() {
        assertError(HEAD + "FwMark = 0x100000000\n", 3, "FwMark is neither off nor a number from 0 to 0xffffffff: '0x100000000'");
        assertError(HEAD + "FwMark = 4294967296\n", 3, "FwMark is neither off nor a number from 0 to 0xffffffff: '4294967296'");
        assertError(HEAD + "FwMark = 0X10\n", 3, "FwMark is neither off nor a number from 0 to 0xffffffff: '0X10'");
        assertError(HEAD + "FwMark = 0x\n", 3, "FwMark is neither off nor a number from 0 to 0xffffffff: '0x'");
        assertError(HEAD + "FwMark = 0xfg\n", 3, "FwMark is neither off nor a number from 0 to 0xffffffff: '0xfg'");
    }

    @Test
    void badEndpoint() {
        String at = PEER + "Endpoint = ";
        assertError(at + "192.0.2.1\n", 6, "Endpoint '192.0.2.1' is not valid: no port (expected host:port or [IPv6]:port)");
        assertError(at + "192.0.2.1:\n", 6, "Endpoint '192.0.2.1:' is not valid: no port (expected host:port or [IPv6]:port)");
        assertError(at + "[2001:db8::1:51820\n", 6,
                "Endpoint '[2001:db8::1:51820' is not valid: no ']' closes the bracketed IPv6 address");
        assertError(at + "[2001:db8::1]51820\n", 6,
                "Endpoint '[2001:db8::1]51820' is not valid: no port after ']' (expected [IPv6]:port)");
        assertError(at + "[2001:db8::1]\n", 6, "Endpoint '[2001:db8::1]' is not valid: no port after ']' (expected [IPv6]:port)");
        assertError(at + "2001:db8::1:51820\n", 6,
                "Endpoint '2001:db8::1:51820' is not valid: an IPv6 address must be in brackets, as in [2001:db8::1]:51820");
        assertError(at + "[2001:db8::zz]:1\n", 6, "Endpoint '[2001:db8::zz]:1' is not valid: the address in brackets is not a valid IPv6 address");
        assertError(at + "[192.0.2.1]:1\n", 6, "Endpoint '[192.0.2.1]:1' is not valid: brackets are only for IPv6 addresses");
        assertError(at + "192.0.2.1:65536\n", 6, "Endpoint '192.0.2.1:65536' is not valid: port 65536 is out of range 1 to 65535");
        assertError(at + "192.0.2.1:0\n", 6, "Endpoint '192.0.2.1:0' is not valid: port 0 is out of range 1 to 65535");
        assertError(at + "[::1]:http\n", 6, "Endpoint '[::1]:http' is not valid: port is not a number from 1 to 65535");
        assertError(at + "192.0.2:1\n", 6, "Endpoint '192.0.2:1' is not valid: the host is not a valid IPv4 address");
        assertError(at + "192.0.2.256:1\n", 6, "Endpoint '192.0.2.256:1' is not valid: the host is not a valid IPv4 address");
        assertError(at + "bad!host:1\n", 6, "Endpoint 'bad!host:1' is not valid: the host is not a valid IPv4 address or DNS name");
        assertError(at + "-bad.example:1\n", 6, "Endpoint '-bad.example:1' is not valid: the host is not a valid IPv4 address or DNS name");
        assertError(at + ":51820\n", 6, "Endpoint ':51820' is not valid: no host before the port");
        assertError(at + "[fe80::1%]:1\n", 6, "Endpoint '[fe80::1%]:1' is not valid: the IPv6 zone after '%' is not an interface name or index");
    }

    @Test
    void badAllowedIps() {
        String at = PEER + "AllowedIPs = ";
        assertError(at + "10.0.0.0/33\n", 6, "AllowedIPs entry '10.0.0.0/33' is not an IP prefix: prefix length 33 is longer than 32");
        assertError(at + "fd00::/129\n", 6, "AllowedIPs entry 'fd00::/129' is not an IP prefix: prefix length 129 is longer than 128");
        assertError(at + "10.0.0.0/x\n", 6, "AllowedIPs entry '10.0.0.0/x' is not an IP prefix: prefix length is not a number from 0 to 32");
        assertError(at + "10.0.0.0/\n", 6, "AllowedIPs entry '10.0.0.0/' is not an IP prefix: prefix length is not a number from 0 to 32");
        assertError(at + "10.0.0/8\n", 6, "AllowedIPs entry '10.0.0/8' is not an IP prefix: not an IPv4 address");
        assertError(at + "fd00:::1/64\n", 6, "AllowedIPs entry 'fd00:::1/64' is not an IP prefix: not an IPv6 address");
        assertError(at + "example.com/32\n", 6, "AllowedIPs entry 'example.com/32' is not an IP prefix: not an IPv4 address");
        assertError(at + "10.0.0.0/8,, fd00::/8\n", 6, "AllowedIPs has an empty entry (a stray comma?)");
        assertError(at + "10.0.0.0/8,\n", 6, "AllowedIPs has an empty entry (a stray comma?)");
        assertError(at + "+10.0.0.0/8\n", 6, "AllowedIPs entry '+10.0.0.0/8' has a '+' or '-' prefix, which only `wg set` understands");
        assertError(at + "\n", 6, "AllowedIPs has no value");
    }

    @Test
    void badPersistentKeepalive() {
        String at = PEER + "PersistentKeepalive = ";
        assertError(at + "65536\n", 6, "PersistentKeepalive is neither off nor a number of seconds from 0 to 65535: '65536'");
        assertError(at + "on\n", 6, "PersistentKeepalive is neither off nor a number of seconds from 0 to 65535: 'on'");
        assertError(at + "-5\n", 6, "PersistentKeepalive is neither off nor a number of seconds from 0 to 65535: '-5'");
        assertError(at + "25s\n", 6, "PersistentKeepalive is neither off nor a number of seconds from 0 to 65535: '25s'");
    }

    @Test
    void lineWithoutEquals() {
        assertError(HEAD + "ListenPort 51820\n", 3, "expected 'Key = Value' or a [Section] header");
        assertError(HEAD + "ListenPort # = 51820\n", 3, "expected 'Key = Value' or a [Section] header");
        assertError(HEAD + " = 51820\n", 3, "no key before '='");
    }

    @Test
    void badWgQuickValues() {
        assertError(HEAD + "Address = 10.0.0.1/24, 10.0.0.300/24\n", 3, "Address '10.0.0.300/24' is not valid: not an IPv4 address");
        assertError(HEAD + "Address = fd00::1/200\n", 3, "Address 'fd00::1/200' is not valid: prefix length 200 is longer than 128");
        assertError(HEAD + "MTU = 1420b\n", 3, "MTU is not a number from 68 to 65535: '1420b'");
        assertError(HEAD + "MTU = 67\n", 3, "MTU is not a number from 68 to 65535: '67'");
        assertError(HEAD + "DNS = 1.1.1.1, 1.1.1\n", 3, "DNS entry '1.1.1' is neither an IP address nor a search domain");
        assertError(HEAD + "DNS = bad!domain\n", 3, "DNS entry 'bad!domain' is neither an IP address nor a search domain");
        assertError(HEAD + "Table = main table\n", 3, "Table 'main table' is not off, auto, a table number or a table name");
        assertError(HEAD + "SaveConfig = yes\n", 3, "SaveConfig is neither true nor false: 'yes'");
        assertError(HEAD + "SaveConfig =\n", 3, "SaveConfig is neither true nor false: ''");
    }

    @Test
    void nulCharacter() {
        assertError(HEAD + "ListenPort = 1\0\n", 3, "contains a NUL character; not a text file?");
    }

    @Test
    void fileNameAndProblemWithLineBreaksStayOnOneLine() {
        ConfigException e = assertThrows(ConfigException.class, () -> WgConfig.parse("evil\nname", "[Interface]\nFoo\u2028bar = 1\n"));
        assertEquals("evil\\u000aname:2: unknown key 'Foo\\u2028bar' in [Interface]", e.getMessage());
    }

    @Test
    void noSecretInAnyMessageEvenWhenTheKeyLandsElsewhere() {
        String[] texts = {
            "[Interface]\nListenPort = " + PRIV1 + "\n",
            "[Interface]\nFwMark = " + PRIV1 + "\n",
            "[Interface]\nMTU = " + PRIV1 + "\n",
            "[Interface]\nTable = " + PRIV1 + "\n",
            "[Interface]\nSaveConfig = " + PRIV1 + "\n",
            "[Interface]\nDNS = " + PRIV1 + "\n",
            "[Interface]\nAddress = " + PRIV1 + "\n",
            "[Interface]\n[" + PRIV1 + "]\n",
            "[Interface]\n" + PRIV1.substring(0, 20) + "=\n",
            HEAD + "[Peer]\nPublicKey = " + PUB1 + "\nEndpoint = " + PSK + "\n",
            HEAD + "[Peer]\nPublicKey = " + PUB1 + "\nEndpoint = " + PSK + ":1\n",
            HEAD + "[Peer]\nPublicKey = " + PUB1 + "\nEndpoint = [" + PSK + "]:1\n",
            HEAD + "[Peer]\nPublicKey = " + PUB1 + "\nAllowedIPs = " + PSK + "\n",
            HEAD + "[Peer]\nPublicKey = " + PUB1 + "\nAllowedIPs = 10.0.0.0/" + PSK + "\n",
            HEAD + "[Peer]\nPublicKey = " + PUB1 + "\nPersistentKeepalive = " + PSK + "\n",
            HEAD + "[Peer]\nPublicKey = " + PUB1 + "\nPresharedKey = " + PSK.substring(1) + "\n",
            HEAD + "[Peer]\nPublicKey = " + PSK + "\n[Peer]\nPublicKey = " + PSK + "\n",
        };
        for (String text : texts) {
            ConfigException e = assertThrows(ConfigException.class, () -> WgConfig.parse(FILE, text), text);
            assertNoSecret(e.getMessage());
        }
    }
}
