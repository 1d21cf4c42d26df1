package io.cryptun.cli.uapi;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.noise.crypto.Keys;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * A parsed and validated {@code set=1} request: the operations in request order. Parsing checks
 * every line before anything is applied, which is what makes a set all-or-nothing.
 */
public final class SetRequest {
    /** One operation; device operations come before the first public_key line. */
    public sealed interface Op permits PrivateKey, ListenPort, FwMark, ReplacePeers, SelectPeer, UpdateOnly, Remove,
            PresharedKey, Endpoint, PersistentKeepalive, ReplaceAllowedIps, AllowedIp {
    }

    public record PrivateKey(byte[] key) implements Op {
        @Override
        public String toString() {
            return "PrivateKey[...]";
        }
    }

    public record ListenPort(int port) implements Op {
    }

    public record FwMark(int mark) implements Op {
    }

    public record ReplacePeers() implements Op {
    }

    public record SelectPeer(byte[] publicKey) implements Op {
    }

    public record UpdateOnly() implements Op {
    }

    public record Remove() implements Op {
    }

    public record PresharedKey(byte[] key) implements Op {
        @Override
        public String toString() {
            return "PresharedKey[...]";
        }
    }

    public record Endpoint(InetSocketAddress address) implements Op {
    }

    public record PersistentKeepalive(int seconds) implements Op {
    }

    public record ReplaceAllowedIps() implements Op {
    }

    public record AllowedIp(IpPrefix prefix, boolean add) implements Op {
    }

    private final List<Op> ops;

    private SetRequest(List<Op> ops) {
        this.ops = ops;
    }

    public List<Op> ops() {
        return ops;
    }

    /** Parses the lines after "set=1" (without the terminating blank line). */
    public static SetRequest parse(List<String> lines) throws UapiException {
        Parser p = new Parser();
        for (String line : lines) {
            p.line(line);
        }
        return p.finish();
    }

    /**
     * Parses a request line by line as it arrives, so a large request is never held as text.
     * The first bad line is the answer; the lines after it are still consumed (to find the end
     * of the request) but not parsed.
     */
    public static final class Parser {
        private final List<Op> ops = new ArrayList<>();
        private boolean deviceSection = true;
        private UapiException failure;

        /** One line without its '\n' (a trailing '\r' is dropped, as wireguard-go's line scanner does). */
        public void line(String line) {
            if (failure != null) {
                return;
            }
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            try {
                parseLine(line);
            } catch (UapiException e) {
                failure = e;
            }
        }

        private void parseLine(String line) throws UapiException {
            int eq = line.indexOf('=');
            if (eq < 0) {
                // the line is not echoed: it may be a key sent without its name
                throw new UapiException(UapiErrno.EPROTO, "failed to parse a line: no '='");
            }
            String key = line.substring(0, eq);
            String value = line.substring(eq + 1);
            if (key.equals("public_key")) {
                deviceSection = false;
                ops.add(new SelectPeer(hexKey(value, "public_key")));
                return;
            }
            Op op = deviceSection ? deviceOp(key, value) : peerOp(key, value);
            if (op != null) {
                ops.add(op);
            }
        }

        /** The request, or the first line's failure. */
        public SetRequest finish() throws UapiException {
            if (failure != null) {
                throw failure;
            }
            return new SetRequest(List.copyOf(ops));
        }
    }

    private static Op deviceOp(String key, String value) throws UapiException {
        switch (key) {
            case "private_key":
                return new PrivateKey(hexKey(value, "private_key"));
            case "listen_port":
                return new ListenPort((int) unsigned(value, 0xffff, "listen_port"));
            case "fwmark":
                return new FwMark((int) unsigned(value, 0xffff_ffffL, "fwmark"));
            case "replace_peers":
                requireTrue(value, "replace_peers");
                return new ReplacePeers();
            default:
                throw new UapiException(UapiErrno.EINVAL, "invalid UAPI device key: " + clip(key));
        }
    }

    private static Op peerOp(String key, String value) throws UapiException {
        switch (key) {
            case "update_only":
                requireTrue(value, "update_only");
                return new UpdateOnly();
            case "remove":
                requireTrue(value, "remove");
                return new Remove();
            case "preshared_key":
                return new PresharedKey(hexKey(value, "preshared_key"));
            case "endpoint":
                return new Endpoint(endpoint(value));
            case "persistent_keepalive_interval":
                return new PersistentKeepalive((int) unsigned(value, 0xffff, "persistent_keepalive_interval"));
            case "replace_allowed_ips":
                requireTrue(value, "replace_allowed_ips");
                return new ReplaceAllowedIps();
            case "allowed_ip": {
                boolean add = true;
                String v = value;
                if (v.startsWith("-")) {
                    add = false;
                    v = v.substring(1);
                }
                try {
                    if (v.indexOf('/') < 0) {
                        throw new IllegalArgumentException("no prefix length");
                    }
                    return new AllowedIp(IpPrefix.parse(v), add);
                } catch (IllegalArgumentException e) {
                    throw new UapiException(UapiErrno.EINVAL, "failed to set allowed ip: " + clip(value));
                }
            }
            case "protocol_version":
                // only version 1 exists; it changes nothing
                if (!value.equals("1")) {
                    throw new UapiException(UapiErrno.EINVAL, "invalid protocol version: " + clip(value));
                }
                return null;
            default:
                throw new UapiException(UapiErrno.EINVAL, "invalid UAPI peer key: " + clip(key));
        }
    }

    private static void requireTrue(String value, String key) throws UapiException {
        if (!value.equals("true")) {
            throw new UapiException(UapiErrno.EINVAL, "failed to set " + key + ", invalid value: " + clip(value));
        }
    }

    private static byte[] hexKey(String value, String key) throws UapiException {
        try {
            return Keys.fromHex(value);
        } catch (IllegalArgumentException e) {
            // the value may be a secret: never echo it
            throw new UapiException(UapiErrno.EINVAL, "failed to set " + key + ": not 64 hex digits");
        }
    }

    private static long unsigned(String value, long max, String key) throws UapiException {
        if (value.isEmpty() || value.length() > 10 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new UapiException(UapiErrno.EINVAL, "failed to parse " + key + ": " + clip(value));
        }
        long v = Long.parseLong(value);
        if (v > max) {
            throw new UapiException(UapiErrno.EINVAL, "failed to parse " + key + ": out of range");
        }
        return v;
    }

    /** "a.b.c.d:port" or "[v6]:port" (numeric only: wg resolves names before it sends). */
    static InetSocketAddress endpoint(String value) throws UapiException {
        String host;
        String port;
        if (value.startsWith("[")) {
            int close = value.indexOf(']');
            if (close < 0 || close + 1 >= value.length() || value.charAt(close + 1) != ':') {
                throw new UapiException(UapiErrno.EINVAL, "failed to set endpoint " + clip(value));
            }
            host = value.substring(1, close);
            port = value.substring(close + 2);
            int pct = host.indexOf('%');
            if (pct >= 0) {
                host = host.substring(0, pct);
            }
            if (host.indexOf(':') < 0) {
                throw new UapiException(UapiErrno.EINVAL, "failed to set endpoint " + clip(value));
            }
        } else {
            int colon = value.lastIndexOf(':');
            if (colon < 0 || value.indexOf(':') != colon) {
                throw new UapiException(UapiErrno.EINVAL, "failed to set endpoint " + clip(value));
            }
            host = value.substring(0, colon);
            port = value.substring(colon + 1);
        }
        try {
            byte[] addr = IpPrefix.parseNumericAddress(host);
            long p = unsigned(port, 0xffff, "endpoint port");
            // an IPv4-mapped IPv6 address stays IPv6, as wireguard-go keeps and prints it
            // (InetAddress.getByAddress would turn it into IPv4)
            InetAddress ip = addr.length == 16 ? Inet6Address.getByAddress(null, addr, -1) : InetAddress.getByAddress(addr);
            return new InetSocketAddress(ip, (int) p);
        } catch (IllegalArgumentException | UnknownHostException e) {
            throw new UapiException(UapiErrno.EINVAL, "failed to set endpoint " + clip(value));
        }
    }

    private static String clip(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "…" : s;
    }
}
