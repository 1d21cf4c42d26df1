package io.cryptun.noise.crypto;

import org.bouncycastle.crypto.digests.Blake2sDigest;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * WireGuard's three uses of BLAKE2s (whitepaper 5.4): HASH (BLAKE2s-256), MAC (keyed BLAKE2s-128,
 * not HMAC) and HMAC (HMAC over BLAKE2s-256). Thin wrappers over Bouncy Castle; nothing here
 * implements the primitive itself.
 */
public final class Blake2s {
    public static final int HASH_LENGTH = 32;
    public static final int MAC_LENGTH = 16;

    private Blake2s() {
    }

    /** HASH(a ‖ b ‖ ...) into a fresh 32-byte array. */
    public static byte[] hash(byte[]... parts) {
        Blake2sDigest d = new Blake2sDigest(256);
        for (byte[] p : parts) {
            d.update(p, 0, p.length);
        }
        byte[] out = new byte[HASH_LENGTH];
        d.doFinal(out, 0);
        return out;
    }

    /** HASH(a ‖ b) written into {@code out} (which may alias {@code a}). */
    public static void hashInto(byte[] out, byte[] a, byte[] b, int bOff, int bLen) {
        Blake2sDigest d = new Blake2sDigest(256);
        d.update(a, 0, a.length);
        d.update(b, bOff, bLen);
        d.doFinal(out, 0);
    }

    /** MAC(key, data[off, off+len)): keyed BLAKE2s with a 16-byte output, written at out[outOff]. */
    public static void mac(byte[] key, byte[] data, int off, int len, byte[] out, int outOff) {
        Blake2sDigest d = new Blake2sDigest(key, MAC_LENGTH, null, null);
        d.update(data, off, len);
        d.doFinal(out, outOff);
    }

    public static byte[] mac(byte[] key, byte[] data, int off, int len) {
        byte[] out = new byte[MAC_LENGTH];
        mac(key, data, off, len, out, 0);
        return out;
    }

    /** HMAC-BLAKE2s(key, data) into out[outOff, outOff+32). BC's HMac uses BLAKE2s's 64-byte block, as WireGuard does. */
    public static void hmac(byte[] key, byte[] data, int off, int len, byte[] out, int outOff) {
        HMac h = new HMac(new Blake2sDigest(256));
        h.init(new KeyParameter(key));
        h.update(data, off, len);
        h.doFinal(out, outOff);
    }

    /** Constant-time comparison of a[aOff..aOff+len) and b[bOff..bOff+len). */
    public static boolean equalsConstantTime(byte[] a, int aOff, byte[] b, int bOff, int len) {
        int acc = 0;
        for (int i = 0; i < len; i++) {
            acc |= a[aOff + i] ^ b[bOff + i];
        }
        return acc == 0;
    }
}
