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
}
