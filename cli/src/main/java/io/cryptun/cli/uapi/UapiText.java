package io.cryptun.cli.uapi;

import io.cryptun.noise.allowedips.IpPrefix;
import java.net.Inet6Address;
import java.net.InetSocketAddress;

/**
 * Addresses as wireguard-go writes them in a get reply (Go's netip formatting): dotted quad,
 * RFC 5952 IPv6, and an IPv4-mapped IPv6 address as {@code ::ffff:a.b.c.d}.
 */
public final class UapiText {
    private UapiText() {
    }

    public static String address(byte[] a) {
        if (a.length == 16 && isV4Mapped(a)) {
            return "::ffff:" + IpPrefix.hostString(new byte[] {a[12], a[13], a[14], a[15]});
        }
        return IpPrefix.hostString(a);
    }

    public static String prefix(IpPrefix p) {
        return address(p.address()) + "/" + p.length();
    }

    /** "a.b.c.d:port" or "[v6]:port". */
    public static String endpoint(InetSocketAddress ep) {
        byte[] a = ep.getAddress().getAddress();
        String host = address(a);
        if (ep.getAddress() instanceof Inet6Address i6 && i6.getScopeId() != 0) {
            host += "%" + i6.getScopeId();
        }
        return a.length == 16 ? "[" + host + "]:" + ep.getPort() : host + ":" + ep.getPort();
    }

    static boolean isV4Mapped(byte[] a) {
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return (a[10] & 0xff) == 0xff && (a[11] & 0xff) == 0xff;
    }
}
