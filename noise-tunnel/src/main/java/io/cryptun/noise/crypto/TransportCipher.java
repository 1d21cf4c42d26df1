package io.cryptun.noise.crypto;

/**
 * ChaCha20-Poly1305 on the data path: in place, no associated data, WireGuard's counter nonce.
 * One instance per thread (instances hold cipher state); keys are passed per call.
 */
public interface TransportCipher {
    int TAG_LENGTH = 16;

    /**
     * Encrypts buf[off, off+len) in place and writes the 16-byte tag after it.
     * The caller guarantees 16 bytes of room after the plaintext. Returns len + 16.
     */
    int seal(TransportKey key, long counter, byte[] buf, int off, int len);

    /**
     * Decrypts buf[off, off+len) (ciphertext ‖ tag) in place. Returns the plaintext length, or -1
     * when it does not authenticate (the buffer content is then unspecified).
     */
    int open(TransportKey key, long counter, byte[] buf, int off, int len);

    /** The values {@link #create(String)} takes, as help texts list them. */
    String BACKENDS = "auto, jdk, bc, sodium, openssl";

    /**
     * The backend named on the command line, or the fastest for this JVM when null/"auto":
     * libcrypto's (openssl) where the JDK can call it (22 and later) and it is installed, else the
     * JDK provider's, else Bouncy Castle's. A named backend that cannot run here is refused with
     * an IllegalStateException that says why.
     */
    static TransportCipher create(String backend) {
        String b = backend == null ? "auto" : backend;
        switch (b) {
            case "jdk":
                return new JdkTransportCipher();
            case "bc":
            case "bouncycastle":
                return new BcTransportCipher();
            case "sodium":
            case "libsodium":
                return new SodiumTransportCipher();
            case "openssl":
                return new OpenSslTransportCipher();
            case "auto":
                if (OpenSslTransportCipher.isAvailable()) {
                    return new OpenSslTransportCipher();
                }
                return JdkTransportCipher.isAvailable() ? new JdkTransportCipher() : new BcTransportCipher();
            default:
                throw new IllegalArgumentException("unknown crypto backend '" + backend + "' (" + BACKENDS + ")");
        }
    }

    String name();
}
