package io.cryptun.cli.daemon;

import io.cryptun.cli.config.PeerSection;
import io.cryptun.cli.config.WgConfig;
import io.cryptun.cli.uapi.SetRequest;
import io.cryptun.cli.uapi.UapiException;
import io.cryptun.cli.uapi.UapiProtocol;
import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.noise.crypto.Keys;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Applies a configuration file the way {@code wg setconf} does: endpoints are resolved first,
 * then the file becomes one userspace-API set request (replace_peers=true), so a file and the
 * {@code wg} tool go through exactly the same code.
 */
public final class ConfigApplier {
    private ConfigApplier() {
    }

    /** Thrown with a message fit for the user (no secrets). */
    public static final class ApplyException extends Exception {
        public ApplyException(String message) {
            super(message);
        }
    }

    public static void apply(UapiProtocol uapi, WgConfig config, String fileName) throws ApplyException {
        apply(uapi, resolve(config, fileName), fileName);
    }

    /**
     * The set request for {@code config} with its endpoints resolved, or the first endpoint that
     * does not resolve as FILE:LINE: message. Done before anything is created.
     */
    public static List<String> resolve(WgConfig config, String fileName) throws ApplyException {
        try {
            return toUapiLines(config);
        } catch (UnknownHostException e) {
            int line = e instanceof EndpointException ee ? ee.line : 0;
            throw new ApplyException(fileName + (line > 0 ? ":" + line : "") + ": " + e.getMessage());
        }
    }

    /** Sends a set request made by {@link #resolve}. */
    public static void apply(UapiProtocol uapi, List<String> lines, String fileName) throws ApplyException {
        try {
            uapi.set(SetRequest.parse(lines));
        } catch (UapiException e) {
            throw new ApplyException(fileName + ": " + e.getMessage());
        }
    }

    /** An endpoint that does not resolve, with its line in the file (0: unknown). */
    public static final class EndpointException extends UnknownHostException {
        private static final long serialVersionUID = 1L;
        final int line;

        EndpointException(String message, int line) {
            super(message);
            this.line = line;
        }
    }

    /** The set request wg setconf would send for this file. */
    public static List<String> toUapiLines(WgConfig config) throws UnknownHostException {
        List<String> l = new ArrayList<>();
        if (config.iface().privateKey() != null) {
            l.add("private_key=" + Keys.toHex(config.iface().privateKey()));
        }
        config.iface().listenPort().ifPresent(p -> l.add("listen_port=" + p));
        config.iface().fwMark().ifPresent(m -> l.add("fwmark=" + m));
        l.add("replace_peers=true");
        for (PeerSection p : config.peers()) {
            l.add("public_key=" + Keys.toHex(p.publicKey()));
            p.presharedKey().ifPresent(k -> l.add("preshared_key=" + Keys.toHex(k)));
            if (p.endpoint().isPresent()) {
                InetSocketAddress a;
                try {
                    a = p.endpoint().get().resolve();
                } catch (UnknownHostException e) {
                    throw new EndpointException("cannot resolve endpoint '" + p.endpoint().get() + "'", p.endpointLine());
                }
                l.add("endpoint=" + UapiProtocol.formatEndpoint(a));
            }
            l.add("persistent_keepalive_interval=" + p.persistentKeepalive());
            l.add("replace_allowed_ips=true");
            for (IpPrefix prefix : p.allowedIps()) {
                l.add("allowed_ip=" + prefix);
            }
        }
        return l;
    }
}
