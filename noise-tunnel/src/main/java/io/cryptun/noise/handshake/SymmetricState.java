package io.cryptun.noise.handshake;

import io.cryptun.noise.crypto.Blake2s;
import io.cryptun.noise.crypto.ChaChaPoly;
import io.cryptun.noise.crypto.Kdf;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Noise's SymmetricState (chaining key ck, handshake hash h, and the CipherState key k with its
 * nonce) for BLAKE2s and ChaChaPoly, including the psk modifiers' MixKeyAndHash. This is written
 * here rather than taken from noise-java, which has no psk2; see noise-tunnel/README.md.
 */
public final class SymmetricState {
    private final byte[] ck = new byte[32];
    private final byte[] h = new byte[32];
    private final byte[] k = new byte[32];
    private boolean hasKey;
    private long n;

    private SymmetricState() {
    }

    /** InitializeSymmetric(protocolName) followed by MixHash(prologue). */
    public static SymmetricState initialize(String protocolName, byte[] prologue) {
        SymmetricState s = new SymmetricState();
        byte[] name = protocolName.getBytes(StandardCharsets.US_ASCII);
        if (name.length <= 32) {
            System.arraycopy(name, 0, s.h, 0, name.length);
        } else {
            System.arraycopy(Blake2s.hash(name), 0, s.h, 0, 32);
        }
        System.arraycopy(s.h, 0, s.ck, 0, 32);
        s.mixHash(prologue, 0, prologue.length);
        return s;
    }

    /** A state that continues from precomputed (ck, h), e.g. WireGuard's constant C0 and H0. */
    public static SymmetricState resume(byte[] chainingKey, byte[] hash) {
        SymmetricState s = new SymmetricState();
        System.arraycopy(chainingKey, 0, s.ck, 0, 32);
        System.arraycopy(hash, 0, s.h, 0, 32);
        return s;
    }

    public SymmetricState copy() {
        SymmetricState s = resume(ck, h);
        System.arraycopy(k, 0, s.k, 0, 32);
        s.hasKey = hasKey;
        s.n = n;
        return s;
    }

    public void mixHash(byte[] data, int off, int len) {
        Blake2s.hashInto(h, h, data, off, len);
    }

    public void mixHash(byte[] data) {
        mixHash(data, 0, data.length);
    }

    /** ck, k = HKDF(ck, ikm) with two outputs. */
    public void mixKey(byte[] ikm) {
        Kdf.derive(ck, ikm, 0, ikm.length, ck, k);
        hasKey = true;
        n = 0;
    }

    /** The psk token: ck, tempH, k = HKDF(ck, psk) with three outputs; MixHash(tempH). */
    public void mixKeyAndHash(byte[] psk) {
        byte[] tempH = new byte[32];
        Kdf.derive(ck, psk, 0, psk.length, ck, tempH, k);
        mixHash(tempH, 0, 32);
        Arrays.fill(tempH, (byte) 0);
        hasKey = true;
        n = 0;
    }

    /** EncryptAndHash: writes len + 16 bytes (or len bytes before the first MixKey). */
    public int encryptAndHash(byte[] in, int inOff, int len, byte[] out, int outOff) {
        int written;
        if (hasKey) {
            written = ChaChaPoly.seal(k, n++, h, in, inOff, len, out, outOff);
        } else {
            System.arraycopy(in, inOff, out, outOff, len);
            written = len;
        }
        mixHash(out, outOff, written);
        return written;
    }

    /**
     * DecryptAndHash: returns the plaintext length, or -1 when the ciphertext does not authenticate
     * (the state is then unchanged apart from nothing: h is only mixed on success).
     */
    public int decryptAndHash(byte[] in, int inOff, int len, byte[] out, int outOff) {
        int written;
        // hash the ciphertext first into a temporary, since out may overlap in
        byte[] ciphertext = Arrays.copyOfRange(in, inOff, inOff + len);
        if (hasKey) {
            written = ChaChaPoly.open(k, n, h, ciphertext, 0, len, out, outOff);
            if (written < 0) {
                return -1;
            }
            n++;
        } else {
            System.arraycopy(ciphertext, 0, out, outOff, len);
            written = len;
        }
        mixHash(ciphertext, 0, len);
        return written;
    }

    /** Split(): the two transport keys (initiator-to-responder, responder-to-initiator). */
    public void split(byte[] k1, byte[] k2) {
        Kdf.derive(ck, new byte[0], 0, 0, k1, k2);
    }

    public byte[] handshakeHash() {
        return h.clone();
    }

    byte[] chainingKey() {
        return ck.clone();
    }

    /** Zeroes every secret this state holds. */
    public void destroy() {
        Arrays.fill(ck, (byte) 0);
        Arrays.fill(h, (byte) 0);
        Arrays.fill(k, (byte) 0);
        hasKey = false;
        n = 0;
    }
}
