package io.cryptun.cli.config;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.noise.crypto.Keys;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One {@code [Peer]} section.
 *
 * @param publicKey           the peer's X25519 public key, 32 bytes
 * @param presharedKey        the optional 32-byte preshared key
 * @param endpoint            where to send to until the peer is heard from elsewhere
 * @param allowedIps          canonical prefixes (host bits cleared), without repeats, in file order
 * @param persistentKeepalive seconds between keepalives, 0 = off, up to 65535
 * @param endpointLine        the file line the Endpoint is on, for messages (0: unknown or none);
 *                            not part of equality
 */
public record PeerSection(
        byte[] publicKey,
        Optional<byte[]> presharedKey,
        Optional<Endpoint> endpoint,
        List<IpPrefix> allowedIps,
        int persistentKeepalive,
        int endpointLine) {

    /** A section not read from a file. */
    public PeerSection(byte[] publicKey, Optional<byte[]> presharedKey, Optional<Endpoint> endpoint,
                       List<IpPrefix> allowedIps, int persistentKeepalive) {
        this(publicKey, presharedKey, endpoint, allowedIps, persistentKeepalive, 0);
    }

    public PeerSection {
        if (publicKey == null || publicKey.length != Keys.KEY_LENGTH) {
            throw new IllegalArgumentException("public key must be 32 bytes");
        }
        publicKey = publicKey.clone();
        Objects.requireNonNull(presharedKey, "presharedKey");
        if (presharedKey.isPresent() && presharedKey.get().length != Keys.KEY_LENGTH) {
            throw new IllegalArgumentException("preshared key must be 32 bytes");
        }
        presharedKey = presharedKey.map(byte[]::clone);
        Objects.requireNonNull(endpoint, "endpoint");
        allowedIps = List.copyOf(allowedIps);
        if (persistentKeepalive < 0 || persistentKeepalive > 65535) {
            throw new IllegalArgumentException("persistent keepalive out of range");
        }
    }

    @Override
    public byte[] publicKey() {
        return publicKey.clone();
    }

    /** A copy of the preshared key, if any; the caller should {@link Keys#zero} it when done. */
    @Override
    public Optional<byte[]> presharedKey() {
        return presharedKey.map(byte[]::clone);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PeerSection p
                && Arrays.equals(p.publicKey, publicKey)
                && p.presharedKey.isPresent() == presharedKey.isPresent()
                && (presharedKey.isEmpty() || MessageDigest.isEqual(p.presharedKey.get(), presharedKey.get()))
                && p.endpoint.equals(endpoint) && p.allowedIps.equals(allowedIps)
                && p.persistentKeepalive == persistentKeepalive;
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(publicKey), presharedKey.isPresent(), endpoint, allowedIps, persistentKeepalive);
    }

    /** Shows the public key, never the preshared key. */
    @Override
    public String toString() {
        return "PeerSection[publicKey=" + Keys.toBase64(publicKey)
                + ", presharedKey=" + (presharedKey.isPresent() ? "<hidden>" : "none")
                + ", endpoint=" + endpoint.map(Endpoint::toString).orElse("none")
                + ", allowedIps=" + allowedIps + ", persistentKeepalive=" + persistentKeepalive + "]";
    }
}
