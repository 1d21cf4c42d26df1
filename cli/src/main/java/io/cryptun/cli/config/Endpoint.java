package io.cryptun.cli.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * A peer's {@code Endpoint =}: a host and a UDP port. The host is an IPv4 or IPv6 literal
 * (kept in canonical form, IPv6 without brackets, possibly with a {@code %zone}) or a DNS name
 * kept as written; names are resolved only when {@link #resolve()} is called.
 */
public record Endpoint(String host, int port) {

    public Endpoint {
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("endpoint host is empty");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("endpoint port " + port + " is not from 1 to 65535");
        }
    }

    /**
     * Parses {@code 192.0.2.1:51820}, {@code [2001:db8::1]:51820}, {@code [fe80::1%eth0]:51820}
     * or {@code vpn.example.com:51820}. Throws {@link IllegalArgumentException} with a reason
     * that does not repeat the text.
     */
    public static Endpoint parse(String text) {
        String host;
        String portText;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("no ']' closes the bracketed IPv6 address");
            }
            host = text.substring(1, close);
            String rest = text.substring(close + 1);
            if (!rest.startsWith(":") || rest.length() == 1) {
                throw new IllegalArgumentException("no port after ']' (expected [IPv6]:port)");
            }
            portText = rest.substring(1);
            host = ipv6Literal(host);
        } else {
            int colon = text.lastIndexOf(':');
            if (colon < 0 || colon == text.length() - 1) {
                throw new IllegalArgumentException("no port (expected host:port or [IPv6]:port)");
            }
            host = text.substring(0, colon);
            portText = text.substring(colon + 1);
            if (host.isEmpty()) {
                throw new IllegalArgumentException("no host before the port");
            }
            if (host.indexOf(':') >= 0 || host.indexOf(']') >= 0) {
                throw new IllegalArgumentException("an IPv6 address must be in brackets, as in [2001:db8::1]:51820");
            }
            host = isDottedNumber(host) ? ipv4Literal(host) : dnsName(host);
        }
        long port = Decimal.parse(portText, 65535);
        if (port < 1) {
            throw new IllegalArgumentException(Decimal.isDigits(portText) && portText.length() <= 10
                    ? "port " + portText + " is out of range 1 to 65535"
                    : "port is not a number from 1 to 65535");
        }
        return new Endpoint(host, (int) port);
    }

    /** True when the host is an IP literal, so {@link #resolve()} needs no name service. */
    public boolean isLiteral() {
        return host.indexOf(':') >= 0 || isDottedNumber(host);
    }

    /**
     * The socket address to send to. A DNS name is looked up now, each call; failure is an
     * {@link UnknownHostException} whose message names the endpoint.
     */
    public InetSocketAddress resolve() throws UnknownHostException {
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            UnknownHostException clear = new UnknownHostException(
                    "cannot resolve endpoint " + this + ": " + (isLiteral() ? "bad address" : "no such host or no name service"));
            clear.initCause(e);
            throw clear;
        }
    }

    /** As wg writes it: {@code host:port}, IPv6 in brackets. */
    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    private static String ipv6Literal(String text) {
        int percent = text.indexOf('%');
        String address = percent < 0 ? text : text.substring(0, percent);
        if (address.indexOf(':') < 0) {
            throw new IllegalArgumentException("brackets are only for IPv6 addresses");
        }
        byte[] bytes;
        try {
            bytes = NumericAddress.parse(address);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the address in brackets is not a valid IPv6 address");
        }
        if (percent < 0) {
            return NumericAddress.toText(bytes);
        }
        String zone = text.substring(percent + 1);
        if (zone.isEmpty() || zone.length() > 15 || !zone.chars().allMatch(Endpoint::isZoneChar)) {
            throw new IllegalArgumentException("the IPv6 zone after '%' is not an interface name or index");
        }
        return NumericAddress.toText(bytes) + "%" + zone;
    }

    private static String ipv4Literal(String text) {
        byte[] bytes;
        try {
            bytes = NumericAddress.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the host is not a valid IPv4 address");
        }
        return NumericAddress.toText(bytes);
    }

    private static String dnsName(String text) {
        if (!DnsNames.isValid(text)) {
            throw new IllegalArgumentException("the host is not a valid IPv4 address or DNS name");
        }
        return text;
    }

    private static boolean isDottedNumber(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || c == '.')) {
                return false;
            }
        }
        return !s.isEmpty();
    }

    private static boolean isZoneChar(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '-' || c == '_' || c == '.';
    }
}
