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

    /** The backend named on the command line, or the fastest for this JVM when null/"auto". */
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
            case "auto":
                return JdkTransportCipher.isAvailable() ? new JdkTransportCipher() : new BcTransportCipher();
            default:
                throw new IllegalArgumentException("unknown crypto backend '" + backend + "' (jdk, bc, sodium, auto)");
        }
    }

    String name();
}
