package io.cryptun.noise.cookie;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Keyed BLAKE2s-128 (RFC 7693; WireGuard's MAC) for the two MACs checked on the receiving thread,
 * mac1 ({@link Mac1Verifier}) and mac2 ({@link CookieChecker#checkMac2}): on locals and caller-owned
 * scratch arrays, without allocating, so that a flood's datagrams cost only their compressions
 * (issue 11: through Bouncy Castle's general digest the MAC checks were most of the receiving
 * thread's Java time). Constant-time like any BLAKE2s (additions, rotations and xors; the message
 * schedule does not depend on the data). {@code Blake2sMacTest} checks it against Bouncy Castle.
 *
 * <p>Use: {@link #keyBlock} gives the state after the key block, {@link #absorbLast} the message
 * after it (its final block included); the MAC is the first 16 bytes of the state, little-endian.
 */
final class Blake2sMac {
    static final int MAC_LENGTH = 16;
    private static final int BLOCK = 64;
    private static final VarHandle LE_INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private static final int[] IV = {
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
    };
    private static final byte[][] SIGMA = {
        {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
        {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
        {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
        {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
        {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
        {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
        {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
        {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
        {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
        {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    };
    private Blake2sMac() {
    }

    /**
     * h (8 words) := the state after compressing the key block of a 16-byte-output keyed BLAKE2s
     * with key[off, off+len), len 1..32. m (16 words) is scratch.
     */
    static void keyBlock(byte[] key, int off, int len, int[] h, int[] m) {
        if (len < 1 || len > 32) {
            throw new IllegalArgumentException("BLAKE2s key length must be 1..32, was " + len);
        }
        System.arraycopy(IV, 0, h, 0, 8);
        h[0] ^= 0x01010000 ^ (len << 8) ^ MAC_LENGTH;
        load(key, off, len, m);
        compress(h, m, BLOCK, false);
    }

    /** Absorbs msg[off, off+len), len >= 1, as all the message after the key block; h holds the MAC after. */
    static void absorbLast(int[] h, int[] m, byte[] msg, int off, int len) {
        if (len < 1) {
            throw new IllegalArgumentException("message must not be empty");
        }
        long counter = BLOCK;
        int end = off + len;
        int p = off;
        while (end - p > BLOCK) {
            load(msg, p, BLOCK, m);
            counter += BLOCK;
            compress(h, m, counter, false);
            p += BLOCK;
        }
        load(msg, p, end - p, m);
        counter += end - p;
        compress(h, m, counter, true);
    }

    /** Whether the MAC in h equals b[off, off+16), in constant time. */
    static boolean macEquals(int[] h, byte[] b, int off) {
        int diff = 0;
        for (int i = 0; i < MAC_LENGTH / 4; i++) {
            diff |= h[i] ^ (int) LE_INT.get(b, off + 4 * i);
        }
        return diff == 0;
    }

    /** Writes the MAC in h to out[off, off+16). */
    static void writeMac(int[] h, byte[] out, int off) {
        for (int i = 0; i < MAC_LENGTH / 4; i++) {
            LE_INT.set(out, off + 4 * i, h[i]);
        }
    }

    /** Message words of a block of {@code n} bytes (1..64), zero-padded. */
    private static void load(byte[] b, int off, int n, int[] m) {
        int full = n >>> 2;
        for (int i = 0; i < full; i++) {
            m[i] = (int) LE_INT.get(b, off + 4 * i);
        }
        for (int i = full; i < 16; i++) {
            m[i] = 0;
        }
        for (int j = full * 4; j < n; j++) {
            m[j >>> 2] |= (b[off + j] & 0xff) << (8 * (j & 3));
        }
    }

    private static void compress(int[] h, int[] m, long counter, boolean last) {
        int v0 = h[0], v1 = h[1], v2 = h[2], v3 = h[3], v4 = h[4], v5 = h[5], v6 = h[6], v7 = h[7];
        int v8 = IV[0], v9 = IV[1], v10 = IV[2], v11 = IV[3];
        int v12 = IV[4] ^ (int) counter;
        int v13 = IV[5] ^ (int) (counter >>> 32);
        int v14 = last ? ~IV[6] : IV[6];
        int v15 = IV[7];
        for (int r = 0; r < 10; r++) {
            byte[] s = SIGMA[r];
            // columns
            v0 += v4 + m[s[0]]; v12 = Integer.rotateRight(v12 ^ v0, 16); v8 += v12; v4 = Integer.rotateRight(v4 ^ v8, 12);
            v0 += v4 + m[s[1]]; v12 = Integer.rotateRight(v12 ^ v0, 8); v8 += v12; v4 = Integer.rotateRight(v4 ^ v8, 7);
            v1 += v5 + m[s[2]]; v13 = Integer.rotateRight(v13 ^ v1, 16); v9 += v13; v5 = Integer.rotateRight(v5 ^ v9, 12);
            v1 += v5 + m[s[3]]; v13 = Integer.rotateRight(v13 ^ v1, 8); v9 += v13; v5 = Integer.rotateRight(v5 ^ v9, 7);
            v2 += v6 + m[s[4]]; v14 = Integer.rotateRight(v14 ^ v2, 16); v10 += v14; v6 = Integer.rotateRight(v6 ^ v10, 12);
            v2 += v6 + m[s[5]]; v14 = Integer.rotateRight(v14 ^ v2, 8); v10 += v14; v6 = Integer.rotateRight(v6 ^ v10, 7);
            v3 += v7 + m[s[6]]; v15 = Integer.rotateRight(v15 ^ v3, 16); v11 += v15; v7 = Integer.rotateRight(v7 ^ v11, 12);
            v3 += v7 + m[s[7]]; v15 = Integer.rotateRight(v15 ^ v3, 8); v11 += v15; v7 = Integer.rotateRight(v7 ^ v11, 7);
            // diagonals
            v0 += v5 + m[s[8]]; v15 = Integer.rotateRight(v15 ^ v0, 16); v10 += v15; v5 = Integer.rotateRight(v5 ^ v10, 12);
            v0 += v5 + m[s[9]]; v15 = Integer.rotateRight(v15 ^ v0, 8); v10 += v15; v5 = Integer.rotateRight(v5 ^ v10, 7);
            v1 += v6 + m[s[10]]; v12 = Integer.rotateRight(v12 ^ v1, 16); v11 += v12; v6 = Integer.rotateRight(v6 ^ v11, 12);
            v1 += v6 + m[s[11]]; v12 = Integer.rotateRight(v12 ^ v1, 8); v11 += v12; v6 = Integer.rotateRight(v6 ^ v11, 7);
            v2 += v7 + m[s[12]]; v13 = Integer.rotateRight(v13 ^ v2, 16); v8 += v13; v7 = Integer.rotateRight(v7 ^ v8, 12);
            v2 += v7 + m[s[13]]; v13 = Integer.rotateRight(v13 ^ v2, 8); v8 += v13; v7 = Integer.rotateRight(v7 ^ v8, 7);
            v3 += v4 + m[s[14]]; v14 = Integer.rotateRight(v14 ^ v3, 16); v9 += v14; v4 = Integer.rotateRight(v4 ^ v9, 12);
            v3 += v4 + m[s[15]]; v14 = Integer.rotateRight(v14 ^ v3, 8); v9 += v14; v4 = Integer.rotateRight(v4 ^ v9, 7);
        }
        h[0] ^= v0 ^ v8;
        h[1] ^= v1 ^ v9;
        h[2] ^= v2 ^ v10;
        h[3] ^= v3 ^ v11;
        h[4] ^= v4 ^ v12;
        h[5] ^= v5 ^ v13;
        h[6] ^= v6 ^ v14;
        h[7] ^= v7 ^ v15;
    }
}
