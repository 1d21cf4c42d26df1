package io.cryptun.routing.psk;

import io.cryptun.noise.crypto.Blake2s;
import io.cryptun.noise.crypto.X25519Keys;
import io.cryptun.routing.bmx7.Bmx7NodeKey;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A WireGuard identity that follows the node's bmx7 identity ({@code --key-from-bmx7}): the
 * X25519 private key is derived from bmx7's RSA node key, so it survives restarts and reinstalls
 * exactly as long as the bmx7 key does, with nothing else to keep.
 *
 * <pre>
 *   (p, q) = the RSA key's two primes, p &lt; q, each unsigned big-endian without leading zeros
 *   ikm    = len16(p) ‖ p ‖ len16(q) ‖ q              (len16: the length as 2 bytes big-endian)
 *   key    = clamp(HMAC-BLAKE2s(key = "cryptun wireguard key from bmx7 node key v1", ikm))
 * </pre>
 * That is HKDF-Extract with the label as salt, over the RSA key's secret alone, with the
 * handshake's own HMAC-BLAKE2s; clamping as X25519 does. The primes determine the RSA key, and
 * nothing else of the file enters: the same key in another encoding (PKCS#1 or PKCS#8, with or
 * without DER's leading zeros) gives the same WireGuard key, another RSA key another one. The
 * WireGuard key reveals nothing of the RSA key (a PRF output), and the RSA key is never used for
 * anything else here.
 */
public final class MeshIdentity {
    static final byte[] LABEL = "cryptun wireguard key from bmx7 node key v1".getBytes(StandardCharsets.US_ASCII);

    private MeshIdentity() {
    }

    /** The X25519 private key (clamped) for this bmx7 node key; the caller wipes it. */
    public static byte[] wireGuardPrivateKey(Bmx7NodeKey nodeKey) {
        byte[] p = nodeKey.smallerPrime();
        byte[] q = nodeKey.largerPrime();
        byte[] ikm = new byte[4 + p.length + q.length];
        try {
            ikm[0] = (byte) (p.length >>> 8);
            ikm[1] = (byte) p.length;
            System.arraycopy(p, 0, ikm, 2, p.length);
            ikm[2 + p.length] = (byte) (q.length >>> 8);
            ikm[3 + p.length] = (byte) q.length;
            System.arraycopy(q, 0, ikm, 4 + p.length, q.length);
            byte[] key = new byte[32];
            Blake2s.hmac(LABEL, ikm, 0, ikm.length, key, 0);
            X25519Keys.clamp(key);
            return key;
        } finally {
            Arrays.fill(p, (byte) 0);
            Arrays.fill(q, (byte) 0);
            Arrays.fill(ikm, (byte) 0);
        }
    }
}
