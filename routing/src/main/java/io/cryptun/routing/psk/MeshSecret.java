package io.cryptun.routing.psk;

import io.cryptun.noise.crypto.Blake2s;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * One generation of a community's mesh secret. Its {@link #id()} (8 hex digits of a hash of the
 * secret under a label of its own) may be announced publicly so peers can tell which generations
 * they share; the secret itself never leaves the node.
 */
public final class MeshSecret {
    static final byte[] ID_LABEL = "cryptun mesh secret id v1".getBytes(StandardCharsets.US_ASCII);

    private final byte[] secret;
    private final String id;

    public MeshSecret(byte[] secret) {
        if (secret == null || secret.length != 32) {
            throw new IllegalArgumentException("a mesh secret is 32 bytes");
        }
        this.secret = secret.clone();
        this.id = HexFormat.of().formatHex(Arrays.copyOf(Blake2s.hash(ID_LABEL, this.secret), 4));
    }

    public String id() {
        return id;
    }

    /** The pre-shared key for the pair (ours, theirs). */
    public byte[] pskFor(byte[] ourPublic, byte[] theirPublic) {
        return MeshPsk.derive(secret, ourPublic, theirPublic);
    }

    public void destroy() {
        Arrays.fill(secret, (byte) 0);
    }

    @Override
    public String toString() {
        return "MeshSecret[" + id + "]";
    }
}
