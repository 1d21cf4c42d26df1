package io.cryptun.noise.handshake;

import io.cryptun.noise.crypto.Blake2s;
import java.nio.charset.StandardCharsets;

/**
 * WireGuard's instantiation of Noise: the construction name, the identifier used as prologue,
 * and the MAC labels (whitepaper 5.4). C0 and H0 are the state after the prologue, computed once.
 */
public final class WireGuardNoise {
    public static final String CONSTRUCTION = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
    public static final String IDENTIFIER = "WireGuard v1 zx2c4 Jason@zx2c4.com";
    public static final byte[] LABEL_MAC1 = "mac1----".getBytes(StandardCharsets.US_ASCII);
    public static final byte[] LABEL_COOKIE = "cookie--".getBytes(StandardCharsets.US_ASCII);

    private static final byte[] C0;
    private static final byte[] H0;

    static {
        SymmetricState s = SymmetricState.initialize(CONSTRUCTION, IDENTIFIER.getBytes(StandardCharsets.US_ASCII));
        C0 = s.chainingKey();
        H0 = s.handshakeHash();
    }

    private WireGuardNoise() {
    }

    /** A fresh symmetric state at (C0, H0). */
    public static SymmetricState initialState() {
        return SymmetricState.resume(C0, H0);
    }

    /** H0 with a responder's static public key mixed in (IK's pre-message): the same for all its handshakes. */
    public static byte[] responderHash(byte[] responderPublic) {
        SymmetricState s = initialState();
        s.mixHash(responderPublic);
        return s.handshakeHash();
    }

    /** A fresh symmetric state at (C0, {@code responderHash}), for {@link IkHandshake#responderAfterPremessage}. */
    public static SymmetricState responderState(byte[] responderHash) {
        return SymmetricState.resume(C0, responderHash);
    }

    /** HASH(label ‖ publicKey): the mac1 key or the cookie encryption key for that public key. */
    public static byte[] labelKey(byte[] label, byte[] publicKey) {
        return Blake2s.hash(label, publicKey);
    }
}
