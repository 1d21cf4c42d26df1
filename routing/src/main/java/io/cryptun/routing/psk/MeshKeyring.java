package io.cryptun.routing.psk;

import java.util.ArrayList;
import java.util.List;

/**
 * The mesh secrets this node holds right now, shared between the reactor (which replaces them
 * when the secret file changes and announces their ids) and the peer table (which derives each
 * peer's pre-shared keys from them). Thread-safe; replaced secrets are wiped.
 */
public final class MeshKeyring {
    private MeshSecrets secrets;

    private MeshKeyring(MeshSecrets secrets) {
        this.secrets = secrets;
    }

    /** A keyring holding no secret: every peer gets the all-zero pre-shared key, as plain WireGuard. */
    public static MeshKeyring empty() {
        return new MeshKeyring(null);
    }

    public static MeshKeyring of(MeshSecrets secrets) {
        return new MeshKeyring(secrets);
    }

    /** The ids of the generations held, in the file's order (current first); empty when none. */
    public synchronized List<String> ids() {
        return secrets == null ? List.of() : secrets.ids();
    }

    /** Holds {@code next} from now on (null: nothing) and wipes what it held before. */
    public synchronized void replace(MeshSecrets next) {
        if (secrets != null && secrets != next) {
            secrets.destroy();
        }
        secrets = next;
    }

    /**
     * The pre-shared keys for the pair (ours, theirs) from the given generations, in that order;
     * generations not held (any more) are left out. The caller wipes the arrays.
     */
    public synchronized List<byte[]> psks(List<String> generations, byte[] ourPublic, byte[] theirPublic) {
        List<byte[]> out = new ArrayList<>(generations.size());
        if (secrets == null) {
            return out;
        }
        for (String id : generations) {
            secrets.byId(id).ifPresent(s -> out.add(s.pskFor(ourPublic, theirPublic)));
        }
        return out;
    }
}
