package io.cryptun.noise.crypto;

import java.security.SecureRandom;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * Curve25519 key agreement: libcrypto's (OpenSSL 3, {@link OpenSslX25519}) or Bouncy Castle's RFC
 * 7748 implementation. Both give the same bytes; libcrypto's is native from the first handshake on,
 * while Bouncy Castle's runs in the interpreter until the JIT has compiled it.
 *
 * <p>Which one: the system property {@value #BACKEND_PROPERTY} ({@code openssl}, {@code bc} or
 * {@code auto}) when it is set; else what the daemon asks for with {@link #follow(String)} (libcrypto's
 * exactly when the data path's cipher is libcrypto's too: {@code --crypto jdk} then loads no native
 * library at all, which is what it is for); else {@code auto}: libcrypto's where it can run (JDK 22
 * and later, libcrypto installed). Decided at the first agreement, not at key generation:
 * {@code cryptun genkey} loads no native library.
 */
public final class X25519Keys {
    public static final int KEY_LENGTH = 32;
    public static final String BACKEND_PROPERTY = "cryptun.x25519";

    /** True: libcrypto's; null: not decided yet. */
    private static volatile Boolean openssl;

    private X25519Keys() {
    }

    /** A fresh private key, clamped as {@code wg genkey} prints it. */
    public static byte[] generatePrivate(SecureRandom random) {
        byte[] k = new byte[KEY_LENGTH];
        random.nextBytes(k);
        clamp(k);
        return k;
    }

    /** Clamps in place (RFC 7748 decodeScalar25519); X25519 clamps internally anyway, wg prints clamped keys. */
    public static void clamp(byte[] k) {
        k[0] &= (byte) 248;
        k[31] &= 127;
        k[31] |= 64;
    }

    public static byte[] publicFromPrivate(byte[] privateKey) {
        byte[] pub = new byte[KEY_LENGTH];
        if (openssl()) {
            OpenSslX25519.publicFromPrivate(privateKey, pub);
        } else {
            X25519.scalarMultBase(privateKey, 0, pub, 0);
        }
        return pub;
    }

    /**
     * DH(private, public) into {@code out}. Returns false for a low-order peer key (an all-zero
     * result), which WireGuard treats as an error.
     */
    public static boolean sharedSecret(byte[] privateKey, byte[] publicKey, byte[] out) {
        return openssl() ? OpenSslX25519.sharedSecret(privateKey, publicKey, out)
                : X25519.calculateAgreement(privateKey, 0, publicKey, 0, out, 0);
    }

    /**
     * The same, for a caller that holds the private key's public key ({@code ownPublic}): libcrypto
     * then need not compute it (~30 us of a ~70 us agreement). Only the private key enters the result.
     */
    public static boolean sharedSecret(byte[] privateKey, byte[] ownPublic, byte[] publicKey, byte[] out) {
        return openssl() ? OpenSslX25519.sharedSecret(privateKey, ownPublic, publicKey, out)
                : X25519.calculateAgreement(privateKey, 0, publicKey, 0, out, 0);
    }

    /**
     * A private key held for its agreements (a device's static key for the device's life, a prepared
     * initiation's ephemeral key for its handshake's): with libcrypto, kept there as a key object and
     * derivation context ({@link OpenSslX25519.KeptKey}) instead of built anew for each agreement. {@link #destroy()} zeroes and frees it; agreements after that fail.
     * One left to the collector is freed by a cleaner.
     */
    public static final class AgreementKey {
        private static final java.lang.ref.Cleaner CLEANER = java.lang.ref.Cleaner.create();
        private final byte[] privateKey;
        private final byte[] publicKey;
        private final OpenSslX25519.KeptKey kept;
        private final java.lang.ref.Cleaner.Cleanable cleanable;
        private volatile boolean destroyed;

        private AgreementKey(byte[] privateKey, byte[] publicKey) {
            this.privateKey = privateKey.clone();
            this.publicKey = publicKey.clone();
            OpenSslX25519.KeptKey k = openssl() ? OpenSslX25519.KeptKey.of(privateKey, publicKey) : null;
            this.kept = k;
            // the action holds the native key, not this object, so this object can become unreachable
            this.cleanable = k == null ? null : CLEANER.register(this, k::free);
        }

        /** {@code publicKey} must be {@code privateKey}'s. */
        public static AgreementKey of(byte[] privateKey, byte[] publicKey) {
            return new AgreementKey(privateKey, publicKey);
        }

        /** DH(this key, peerPublic) into out; false for a low-order peer key, or once destroyed. */
        public boolean agree(byte[] peerPublic, byte[] out) {
            if (destroyed) {
                return false;
            }
            if (kept != null) {
                return kept.agree(peerPublic, out);
            }
            return sharedSecret(privateKey, publicKey, peerPublic, out);
        }

        public void destroy() {
            destroyed = true;
            java.util.Arrays.fill(privateKey, (byte) 0);
            if (cleanable != null) {
                cleanable.clean();
            }
        }

        /** For tests: whether the Java copy of the private key is zeroed. */
        boolean zeroed() {
            return Keys.isZero(privateKey);
        }
    }

    /**
     * Uses libcrypto's X25519 exactly when the data path's cipher backend ({@code dataPathBackend},
     * as {@link TransportCipher#name()} gives it) is libcrypto's, unless {@value #BACKEND_PROPERTY}
     * is set. Returns the implementation in use.
     */
    public static String follow(String dataPathBackend) {
        if (System.getProperty(BACKEND_PROPERTY) == null) {
            openssl = "openssl".equals(dataPathBackend) && OpenSslX25519.isAvailable();
        }
        return backend();
    }

    /** The implementation in use: "openssl" or "bc". */
    public static String backend() {
        return openssl() ? "openssl" : "bc";
    }

    private static boolean openssl() {
        Boolean o = openssl;
        if (o == null) {
            o = choose(System.getProperty(BACKEND_PROPERTY, "auto"));
            openssl = o;
        }
        return o;
    }

    /** A backend named but unavailable, or a name that is none, is refused with the reason. */
    private static boolean choose(String name) {
        switch (name) {
            case "bc":
            case "bouncycastle":
                return false;
            case "openssl":
                if (!OpenSslX25519.isAvailable()) {
                    throw new IllegalStateException("-D" + BACKEND_PROPERTY + "=openssl: "
                            + OpenSslX25519.unavailableReason());
                }
                return true;
            case "auto":
            case "":
                return OpenSslX25519.isAvailable();
            default:
                throw new IllegalArgumentException("-D" + BACKEND_PROPERTY + "=" + name
                        + ": not one of auto, openssl, bc");
        }
    }
}
