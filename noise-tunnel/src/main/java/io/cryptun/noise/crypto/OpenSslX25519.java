package io.cryptun.noise.crypto;

import java.lang.invoke.MethodHandle;
import java.lang.reflect.InvocationTargetException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * X25519 from libcrypto (OpenSSL 3, {@code EVP_PKEY} of type X25519) through the foreign function
 * API, bound as {@link LibCrypto} binds the cipher.
 *
 * <p>Why not Bouncy Castle's, which is as fast warmed up: a handshake's scalar multiplications are
 * Java loops that a fresh daemon runs partly in the interpreter (the JIT compiles a method after
 * thousands of calls; a start-up warm-up makes hundreds of handshakes), so the first handshake after
 * a start took ~0.5 ms per multiplication instead of ~0.07. libcrypto's are native from the first
 * call: ~40 us each, warm or cold (benchmarks/README.md, issue 14).
 *
 * <p>OpenSSL 3.0 exports X25519 only through {@code EVP_PKEY}: a private key object, a peer key
 * object, a derivation context. Made from the private key alone, the key object computes its public
 * key (a scalar multiplication, ~30 us, wasted on a derivation); {@link #sharedSecret(byte[], byte[],
 * byte[], byte[])} therefore takes the caller's public key along and builds the object from both
 * ({@code EVP_PKEY_fromdata}); the derivation reads only the private key (OpenSSL's ecx_derive).
 *
 * <p>Secrets pass through a pooled native scratch that is wiped after every call; the key
 * objects are freed at once, and OpenSSL clears their private key when it frees them.
 */
final class OpenSslX25519 {
    /** {@code EVP_PKEY_X25519} (NID_X25519). */
    private static final int EVP_PKEY_X25519 = 1034;
    /** {@code EVP_PKEY_KEYPAIR}: the selection for a key object with private and public key. */
    private static final int EVP_PKEY_KEYPAIR = 0x87;
    /** {@code OSSL_PARAM_OCTET_STRING}. */
    private static final int OSSL_PARAM_OCTET_STRING = 5;
    private static final int KEY = 32;

    private static final MethodHandle NEW_RAW_PRIVATE;
    private static final MethodHandle NEW_RAW_PUBLIC;
    private static final MethodHandle GET_RAW_PUBLIC;
    private static final MethodHandle CTX_NEW_FROM_NAME;
    private static final MethodHandle FROMDATA_INIT;
    private static final MethodHandle FROMDATA;
    private static final MethodHandle CTX_NEW;
    private static final MethodHandle DERIVE_INIT;
    private static final MethodHandle DERIVE_SET_PEER;
    private static final MethodHandle DERIVE;
    private static final MethodHandle CTX_FREE;
    private static final MethodHandle PKEY_FREE;
    private static final MethodHandle ERR_CLEAR;
    /** "X25519", "priv" and "pub" as C strings, for the life of the JVM. */
    private static final ByteBuffer NAMES;
    private static final long NAME_X25519;
    private static final long NAME_PRIV;
    private static final long NAME_PUB;
    private static final String UNAVAILABLE;

    static {
        MethodHandle[] h = new MethodHandle[13];
        ByteBuffer names = null;
        long base = 0;
        String unavailable = LibCrypto.unavailableReason();
        if (unavailable == null) {
            try {
                LibCrypto.Binder b = new LibCrypto.Binder(LibCrypto.library());
                h[0] = b.downcall("EVP_PKEY_new_raw_private_key", false, long.class, int.class, long.class, long.class, long.class);
                h[1] = b.downcall("EVP_PKEY_new_raw_public_key", false, long.class, int.class, long.class, long.class, long.class);
                h[2] = b.downcall("EVP_PKEY_get_raw_public_key", false, int.class, long.class, long.class, long.class);
                h[3] = b.downcall("EVP_PKEY_CTX_new_from_name", false, long.class, long.class, long.class, long.class);
                h[4] = b.downcall("EVP_PKEY_fromdata_init", false, int.class, long.class);
                h[5] = b.downcall("EVP_PKEY_fromdata", false, int.class, long.class, long.class, int.class, long.class);
                h[6] = b.downcall("EVP_PKEY_CTX_new", false, long.class, long.class, long.class);
                h[7] = b.downcall("EVP_PKEY_derive_init", false, int.class, long.class);
                h[8] = b.downcall("EVP_PKEY_derive_set_peer", false, int.class, long.class, long.class);
                h[9] = b.downcall("EVP_PKEY_derive", false, int.class, long.class, long.class, long.class);
                h[10] = b.downcall("EVP_PKEY_CTX_free", false, void.class, long.class);
                h[11] = b.downcall("EVP_PKEY_free", false, void.class, long.class);
                h[12] = b.downcall("ERR_clear_error", false, void.class);
                names = ByteBuffer.allocateDirect(32);
                // absolute: LibCrypto.address gives the address of the buffer's position
                names.put(0, "X25519\0priv\0pub\0".getBytes(StandardCharsets.US_ASCII));
                base = LibCrypto.address(names);
            } catch (Throwable t) {
                Throwable cause = t instanceof InvocationTargetException ? t.getCause() : t;
                unavailable = "cannot use X25519 of " + LibCrypto.library() + ": " + cause;
            }
        }
        NEW_RAW_PRIVATE = h[0];
        NEW_RAW_PUBLIC = h[1];
        GET_RAW_PUBLIC = h[2];
        CTX_NEW_FROM_NAME = h[3];
        FROMDATA_INIT = h[4];
        FROMDATA = h[5];
        CTX_NEW = h[6];
        DERIVE_INIT = h[7];
        DERIVE_SET_PEER = h[8];
        DERIVE = h[9];
        CTX_FREE = h[10];
        PKEY_FREE = h[11];
        ERR_CLEAR = h[12];
        NAMES = names;
        NAME_X25519 = base;
        NAME_PRIV = base + 7;
        NAME_PUB = base + 12;
        UNAVAILABLE = unavailable;
    }

    /**
     * Native memory for the calls, made when this class initialises (in the daemon's warm-up), not
     * per thread: a scratch made at a thread's first handshake (allocation, a reflective address
     * lookup) cost ~0.3 ms of the daemon's first initiation, made on its TUN thread.
     */
    private static final AtomicReferenceArray<Scratch> POOL = new AtomicReferenceArray<>(4);

    static {
        if (UNAVAILABLE == null) {
            for (int i = 0; i < POOL.length(); i++) {
                POOL.set(i, new Scratch());
            }
        }
    }

    private OpenSslX25519() {
    }

    static boolean isAvailable() {
        return UNAVAILABLE == null;
    }

    /** Why X25519 from libcrypto cannot run here, or null when it can. */
    static String unavailableReason() {
        return UNAVAILABLE;
    }

    static void publicFromPrivate(byte[] privateKey, byte[] publicOut) {
        withScratch(s -> {
            s.put(Scratch.PRIV, privateKey);
            long pkey = (long) NEW_RAW_PRIVATE.invokeExact(EVP_PKEY_X25519, 0L, s.base + Scratch.PRIV, (long) KEY);
            if (pkey == 0) {
                ERR_CLEAR.invokeExact();
                throw new IllegalStateException("libcrypto refused an X25519 private key");
            }
            s.buf.putLong(Scratch.LEN, KEY);
            int ok = (int) GET_RAW_PUBLIC.invokeExact(pkey, s.base + Scratch.OUT, s.base + Scratch.LEN);
            PKEY_FREE.invokeExact(pkey);
            if (ok != 1 || s.buf.getLong(Scratch.LEN) != KEY) {
                ERR_CLEAR.invokeExact();
                throw new IllegalStateException("libcrypto gave no X25519 public key");
            }
            s.buf.get(Scratch.OUT, publicOut, 0, KEY);
            return true;
        });
    }

    /**
     * DH(privateKey, peerPublic) into {@code out}; {@code ownPublic} must be privateKey's public key
     * (it spares libcrypto from computing it). False when libcrypto refuses, which for a valid
     * 32-byte key means an all-zero result: a low-order peer key.
     */
    static boolean sharedSecret(byte[] privateKey, byte[] ownPublic, byte[] peerPublic, byte[] out) {
        return withScratch(s -> {
            long pkey = keyObject(s, privateKey, ownPublic);
            return pkey != 0 ? derive(s, pkey, peerPublic, out) : failed();
        });
    }

    /**
     * A key object made from both halves of a key pair ({@code EVP_PKEY_fromdata}: libcrypto then
     * need not compute the public key), or 0 when refused (the error queue is left for the caller).
     */
    private static long keyObject(Scratch s, byte[] privateKey, byte[] publicKey) throws Throwable {
        s.put(Scratch.PRIV, privateKey);
        s.put(Scratch.OWN, publicKey);
        long fromData = (long) CTX_NEW_FROM_NAME.invokeExact(0L, NAME_X25519, 0L);
        if (fromData == 0) {
            return 0;
        }
        s.buf.putLong(Scratch.PKEY, 0L);
        boolean made = (int) FROMDATA_INIT.invokeExact(fromData) == 1
                && (int) FROMDATA.invokeExact(fromData, s.base + Scratch.PKEY, EVP_PKEY_KEYPAIR, s.base + Scratch.PARAMS) == 1;
        CTX_FREE.invokeExact(fromData);
        long pkey = s.buf.getLong(Scratch.PKEY);
        if (!made && pkey != 0) {
            PKEY_FREE.invokeExact(pkey);
            return 0;
        }
        return pkey;
    }

    /** DH(privateKey, peerPublic) where the caller has no public key at hand (~30 us more). */
    static boolean sharedSecret(byte[] privateKey, byte[] peerPublic, byte[] out) {
        return withScratch(s -> {
            s.put(Scratch.PRIV, privateKey);
            long pkey = (long) NEW_RAW_PRIVATE.invokeExact(EVP_PKEY_X25519, 0L, s.base + Scratch.PRIV, (long) KEY);
            return pkey != 0 ? derive(s, pkey, peerPublic, out) : failed();
        });
    }

    /**
     * A private key kept in libcrypto, with a derivation context made from it once, for its
     * agreements (a device's static key, a prepared initiation's ephemeral key): each one then makes
     * only the peer's key object, sets it and derives. Building the key object (EVP_PKEY_CTX_new_from_name, fromdata) was the slowest
     * part of a responder's first agreement after a quiet while (~70 of ~130 us, measured in the
     * daemon), and the derivation context is one allocation and method fetch fewer per agreement.
     * Its users are synchronized on it: a derivation context is not for two threads at once.
     */
    static final class KeptKey {
        private long pkey;
        private long ctx;

        /** Null when libcrypto refuses the key. */
        static KeptKey of(byte[] privateKey, byte[] publicKey) {
            KeptKey k = new KeptKey();
            boolean ok = withScratch(s -> {
                k.pkey = keyObject(s, privateKey, publicKey);
                if (k.pkey == 0) {
                    return failed();
                }
                k.ctx = (long) CTX_NEW.invokeExact(k.pkey, 0L);
                return k.ctx != 0 && (int) DERIVE_INIT.invokeExact(k.ctx) == 1 || failed();
            });
            if (!ok) {
                k.free();
                return null;
            }
            return k;
        }

        /** DH(this key, peerPublic) into out; false when refused (a low-order key) or freed. */
        synchronized boolean agree(byte[] peerPublic, byte[] out) {
            if (ctx == 0) {
                return false;
            }
            return withScratch(s -> {
                s.put(Scratch.PEER, peerPublic);
                long peer = (long) NEW_RAW_PUBLIC.invokeExact(EVP_PKEY_X25519, 0L, s.base + Scratch.PEER, (long) KEY);
                if (peer == 0) {
                    return failed();
                }
                s.buf.putLong(Scratch.LEN, KEY);
                boolean ok = (int) DERIVE_SET_PEER.invokeExact(ctx, peer) == 1
                        && (int) DERIVE.invokeExact(ctx, s.base + Scratch.OUT, s.base + Scratch.LEN) == 1
                        && s.buf.getLong(Scratch.LEN) == KEY;
                PKEY_FREE.invokeExact(peer);
                if (!ok) {
                    return failed();
                }
                s.buf.get(Scratch.OUT, out, 0, KEY);
                return true;
            });
        }

        /** Frees the context and the key object (OpenSSL clears the private key as it frees it). */
        synchronized void free() {
            try {
                if (ctx != 0) {
                    CTX_FREE.invokeExact(ctx);
                }
                if (pkey != 0) {
                    PKEY_FREE.invokeExact(pkey);
                }
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            } finally {
                ctx = 0;
                pkey = 0;
            }
        }
    }

    /** One call's libcrypto work, on a scratch of its own. */
    private interface ScratchCall {
        boolean run(Scratch s) throws Throwable;
    }

    /**
     * Runs {@code call} on a pooled scratch, which is wiped and returned whatever happens (a key of
     * the wrong length included: the bytes already staged are wiped too).
     */
    private static boolean withScratch(ScratchCall call) {
        Scratch s = take();
        try {
            return call.run(s);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        } finally {
            release(s);
        }
    }

    /** Derives with {@code pkey} (freed here) and the peer key; the result goes to out only on success. */
    private static boolean derive(Scratch s, long pkey, byte[] peerPublic, byte[] out) throws Throwable {
        s.put(Scratch.PEER, peerPublic);
        long peer = (long) NEW_RAW_PUBLIC.invokeExact(EVP_PKEY_X25519, 0L, s.base + Scratch.PEER, (long) KEY);
        long ctx = peer == 0 ? 0 : (long) CTX_NEW.invokeExact(pkey, 0L);
        s.buf.putLong(Scratch.LEN, KEY);
        boolean ok = ctx != 0
                && (int) DERIVE_INIT.invokeExact(ctx) == 1
                && (int) DERIVE_SET_PEER.invokeExact(ctx, peer) == 1
                && (int) DERIVE.invokeExact(ctx, s.base + Scratch.OUT, s.base + Scratch.LEN) == 1
                && s.buf.getLong(Scratch.LEN) == KEY;
        if (ctx != 0) {
            CTX_FREE.invokeExact(ctx);
        }
        if (peer != 0) {
            PKEY_FREE.invokeExact(peer);
        }
        PKEY_FREE.invokeExact(pkey);
        if (!ok) {
            return failed();
        }
        s.buf.get(Scratch.OUT, out, 0, KEY);
        return true;
    }

    /** A free scratch from the pool, or a new one when more threads than it holds agree at once. */
    private static Scratch take() {
        for (int i = 0; i < POOL.length(); i++) {
            Scratch s = POOL.getAndSet(i, null);
            if (s != null) {
                return s;
            }
        }
        return new Scratch();
    }

    /** Wipes the scratch's secrets and returns it to the pool (or leaves it to the collector). */
    private static void release(Scratch s) {
        s.wipe();
        for (int i = 0; i < POOL.length(); i++) {
            if (POOL.compareAndSet(i, null, s)) {
                return;
            }
        }
    }

    /** For tests: how many scratches the pool holds, and whether none of them holds a secret. */
    static int pooledScratches(boolean[] allWiped) {
        int n = 0;
        boolean wiped = true;
        for (int i = 0; i < POOL.length(); i++) {
            Scratch s = POOL.get(i);
            if (s != null) {
                n++;
                for (int b = 0; b < KEY; b++) {
                    wiped &= s.buf.get(Scratch.PRIV + b) == 0 && s.buf.get(Scratch.OUT + b) == 0;
                }
            }
        }
        allWiped[0] = wiped;
        return n;
    }

    /** A refusal leaves its reason on the thread's OpenSSL error queue: drop it, report false. */
    private static boolean failed() throws Throwable {
        ERR_CLEAR.invokeExact();
        return false;
    }

    /** One thread's native memory: keys in, the result out, the size_t and the OSSL_PARAM list. */
    private static final class Scratch {
        static final int PRIV = 0;
        static final int OWN = 32;
        static final int PEER = 64;
        static final int OUT = 96;
        static final int LEN = 128;
        static final int PKEY = 136;
        /** OSSL_PARAM[3]: {key, data_type (+4 padding), data, data_size, return_size}, 40 bytes each. */
        static final int PARAMS = 144;
        static final int PARAM_SIZE = 40;

        final ByteBuffer buf = ByteBuffer.allocateDirect(PARAMS + 3 * PARAM_SIZE).order(ByteOrder.nativeOrder());
        final long base = LibCrypto.address(buf);

        Scratch() {
            param(0, NAME_PRIV, PRIV);
            param(1, NAME_PUB, OWN);
            // the third stays zero: the list's end marker
        }

        private void param(int i, long name, int dataOff) {
            int p = PARAMS + i * PARAM_SIZE;
            buf.putLong(p, name);
            buf.putInt(p + 8, OSSL_PARAM_OCTET_STRING);
            buf.putLong(p + 16, base + dataOff);
            buf.putLong(p + 24, KEY);
            buf.putLong(p + 32, -1L); // OSSL_PARAM_UNMODIFIED
        }

        void put(int off, byte[] key) {
            if (key == null || key.length != KEY) {
                throw new IllegalArgumentException("X25519 keys are 32 bytes");
            }
            buf.put(off, key, 0, KEY);
        }

        /** Zeroes both private-key slots and the result (the public keys are not secret). */
        void wipe() {
            for (int i = 0; i < KEY; i += 8) {
                buf.putLong(PRIV + i, 0L);
                buf.putLong(OUT + i, 0L);
            }
        }
    }
}
