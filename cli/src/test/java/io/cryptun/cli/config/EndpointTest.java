package io.cryptun.cli.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;

class EndpointTest {
    @Test
    void literalsResolveWithoutALookup() throws Exception {
        InetSocketAddress v4 = Endpoint.parse("192.0.2.1:51820").resolve();
        assertArrayEquals(new byte[] {(byte) 192, 0, 2, 1}, v4.getAddress().getAddress());
        assertEquals(51820, v4.getPort());
        InetSocketAddress v6 = Endpoint.parse("[2001:db8::1]:443").resolve();
        assertEquals(InetAddress.getByName("2001:db8::1"), v6.getAddress());
        assertEquals(443, v6.getPort());
        assertFalse(v6.isUnresolved());
    }

    @Test
    void namesAreKeptAsWrittenAndResolvedOnUse() throws Exception {
        Endpoint e = Endpoint.parse("localhost:51820");
        assertEquals(new Endpoint("localhost", 51820), e);
        assertFalse(e.isLiteral());
        InetSocketAddress resolved = e.resolve();
        assertTrue(resolved.getAddress().isLoopbackAddress());
        assertEquals(51820, resolved.getPort());
    }

    @Test
    void unresolvableNameIsAClearError() {
        // .invalid never resolves (RFC 6761)
        Endpoint e = Endpoint.parse("peer.invalid:51820");
        UnknownHostException x = assertThrows(UnknownHostException.class, e::resolve);
        assertEquals("cannot resolve endpoint peer.invalid:51820: no such host or no name service", x.getMessage());
    }

    @Test
    void canonicalForms() {
        assertEquals("[::ffff:192.0.2.1]:1", Endpoint.parse("[::FFFF:c000:201]:1").toString());
        assertEquals("[2001:db8::1]:1", Endpoint.parse("[2001:0db8:0000::0001]:1").toString());
        assertEquals("192.0.2.1:1", Endpoint.parse("192.000.002.001:00001").toString());
        assertEquals("Example.COM.:1", Endpoint.parse("Example.COM.:1").toString());
    }

    @Test
    void constructorChecksItsParts() {
        assertThrows(IllegalArgumentException.class, () -> new Endpoint("", 1));
        assertThrows(IllegalArgumentException.class, () -> new Endpoint("h", 0));
        assertThrows(IllegalArgumentException.class, () -> new Endpoint("h", 65536));
    }

    @Test
    void interfaceAddressKeepsHostBits() {
        InterfaceAddress a = InterfaceAddress.parse("10.0.0.7/24");
        assertEquals("10.0.0.7/24", a.toString());
        assertEquals("10.0.0.0/24", a.network().toString());
        assertEquals("fd00::7/128", InterfaceAddress.parse("fd00::7").toString());
        assertEquals(a, InterfaceAddress.parse("10.0.0.7/24"));
        assertTrue(a.isIpv4());
        assertThrows(IllegalArgumentException.class, () -> InterfaceAddress.parse("10.0.0.7/33"));
        assertThrows(IllegalArgumentException.class, () -> InterfaceAddress.parse("host.example/24"));
        assertThrows(IllegalArgumentException.class, () -> InterfaceAddress.parse("\u0661.2.3.4"), "no Unicode digits");
    }
}
