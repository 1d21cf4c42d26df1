package io.cryptun.noise.crypto;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;
import java.lang.reflect.Array;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.Set;

/**
 * The few libcrypto (OpenSSL 3) functions the {@code openssl} backend calls, bound through the
 * JDK's foreign function API (java.lang.foreign, final in JDK 22).
 *
 * <p>The module compiles for Java 17, where that API does not exist, so it is reached reflectively
 * and only here, once, when this class initialises. Every pointer parameter and result is declared
 * {@code JAVA_LONG} (the x86_64 and AArch64 C ABIs pass a pointer exactly as a 64-bit integer), so
 * each handle's type is made of {@code long} and {@code int} alone: the packet path calls them with
 * {@code invokeExact} on these static finals (constants to the JIT, no boxing, no reflection) with
 * addresses of native memory its caller allocated once. On JDK 21 the API is a preview and on 17
 * absent: the backend is then unavailable and says why ({@link #unavailableReason()}).
 *
 * <p>The library is {@value #DEFAULT_LIBRARY} (Debian 12: libssl3) unless the system property
 * {@value #LIBRARY_PROPERTY} or the environment variable {@value #LIBRARY_ENV} names another.
 */
final class LibCrypto {
    static final String DEFAULT_LIBRARY = "libcrypto.so.3";
    static final String LIBRARY_PROPERTY = "cryptun.libcrypto";
    static final String LIBRARY_ENV = "CRYPTUN_LIBCRYPTO";
    static final int MIN_JDK = 22;

    static final int EVP_CTRL_AEAD_GET_TAG = 0x10;
    static final int EVP_CTRL_AEAD_SET_TAG = 0x11;

    /** {@code EVP_CIPHER_CTX *EVP_CIPHER_CTX_new(void)}: ()long. */
    static final MethodHandle CTX_NEW;
    /** {@code void EVP_CIPHER_CTX_free(EVP_CIPHER_CTX *)}: (long)void. */
    static final MethodHandle CTX_FREE;
    /** {@code EVP_CipherInit_ex(ctx, cipher, engine, key, iv, enc)}: (long,long,long,long,long,int)int; with a key. */
    static final MethodHandle CIPHER_INIT_KEY;
    /** The same function for the per-packet nonce (cipher and key NULL), as a critical downcall. */
    static final MethodHandle CIPHER_INIT_NONCE;
    /** {@code EVP_CipherUpdate(ctx, out, int *outl, in, int inl)}: (long,long,long,long,int)int. */
    static final MethodHandle CIPHER_UPDATE;
    /** {@code EVP_CipherFinal_ex(ctx, out, int *outl)}: (long,long,long)int. */
    static final MethodHandle CIPHER_FINAL;
    /** {@code EVP_CIPHER_CTX_ctrl(ctx, int type, int arg, void *ptr)}: (long,int,int,long)int. */
    static final MethodHandle CTX_CTRL;
    /** {@code EVP_chacha20_poly1305()}'s result: the cipher every context is created with. */
    static final long CHACHA20_POLY1305;

    /** Where a C pointer argument or result is passed exactly as a 64-bit integer (the JAVA_LONG declarations). */
    private static final Set<String> POINTERS_AS_LONG = Set.of("amd64", "x86_64", "aarch64");

    private static final Method SEGMENT_OF_BUFFER;
    private static final Method SEGMENT_ADDRESS;
    private static final String UNAVAILABLE;

    static {
        MethodHandle ctxNew = null;
        MethodHandle ctxFree = null;
        MethodHandle initKey = null;
        MethodHandle initNonce = null;
        MethodHandle update = null;
        MethodHandle fin = null;
        MethodHandle ctrl = null;
        long cipher = 0;
        Method ofBuffer = null;
        Method address = null;
        String unavailable = null;
        String library = library();
        int feature = Runtime.version().feature();
        String arch = System.getProperty("os.arch");
        if (feature < MIN_JDK) {
            unavailable = "needs JDK " + MIN_JDK + " or later (java.lang.foreign); this is JDK " + feature;
        } else if (!POINTERS_AS_LONG.contains(arch)) {
            unavailable = "pointers are passed as 64-bit integers only on " + POINTERS_AS_LONG + ", not on " + arch;
        } else {
            try {
                Binder b = new Binder(library);
                ctxNew = b.downcall("EVP_CIPHER_CTX_new", false, long.class);
                ctxFree = b.downcall("EVP_CIPHER_CTX_free", false, void.class, long.class);
                initKey = b.downcall("EVP_CipherInit_ex", false, int.class,
                        long.class, long.class, long.class, long.class, long.class, int.class);
                initNonce = b.downcall("EVP_CipherInit_ex", true, int.class,
                        long.class, long.class, long.class, long.class, long.class, int.class);
                update = b.downcall("EVP_CipherUpdate", true, int.class,
                        long.class, long.class, long.class, long.class, int.class);
                fin = b.downcall("EVP_CipherFinal_ex", true, int.class, long.class, long.class, long.class);
                ctrl = b.downcall("EVP_CIPHER_CTX_ctrl", true, int.class, long.class, int.class, int.class, long.class);
                cipher = (long) b.downcall("EVP_chacha20_poly1305", false, long.class).invokeExact();
                if (cipher == 0) {
                    throw new IllegalStateException("EVP_chacha20_poly1305() returned NULL");
                }
                ofBuffer = b.segment.getMethod("ofBuffer", Buffer.class);
                address = b.segment.getMethod("address");
            } catch (Throwable t) {
                Throwable cause = t instanceof InvocationTargetException ? t.getCause() : t;
                unavailable = "cannot use " + library + ": " + cause;
            }
        }
        CTX_NEW = ctxNew;
        CTX_FREE = ctxFree;
        CIPHER_INIT_KEY = initKey;
        CIPHER_INIT_NONCE = initNonce;
        CIPHER_UPDATE = update;
        CIPHER_FINAL = fin;
        CTX_CTRL = ctrl;
        CHACHA20_POLY1305 = cipher;
        SEGMENT_OF_BUFFER = ofBuffer;
        SEGMENT_ADDRESS = address;
        UNAVAILABLE = unavailable;
    }

    private LibCrypto() {
    }

    static boolean isAvailable() {
        return UNAVAILABLE == null;
    }

    /** Why the backend cannot run here, or null when it can. */
    static String unavailableReason() {
        return UNAVAILABLE;
    }

    static String library() {
        String name = System.getProperty(LIBRARY_PROPERTY);
        if (name == null || name.isEmpty()) {
            name = System.getenv(LIBRARY_ENV);
        }
        return name == null || name.isEmpty() ? DEFAULT_LIBRARY : name;
    }

    /** The native address of a direct buffer's first byte (set-up time only: reflective). */
    static long address(ByteBuffer direct) {
        if (!direct.isDirect() || UNAVAILABLE != null) {
            throw new IllegalArgumentException("not a direct buffer, or no foreign function API");
        }
        try {
            return (long) SEGMENT_ADDRESS.invoke(SEGMENT_OF_BUFFER.invoke(null, direct));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The reflective part: java.lang.foreign's types and calls, looked up once (also for {@link OpenSslX25519}). */
    static final class Binder {
        final Class<?> segment;
        private final Object linker;
        private final Object symbols;
        private final Object javaLong;
        private final Object javaInt;
        private final Class<?> layout;
        private final Method describe;
        private final Method describeVoid;
        private final Method downcallHandle;
        private final Method find;
        private final Object noOptions;
        private final Object critical;

        Binder(String library) throws ReflectiveOperationException {
            Class<?> linkerType = Class.forName("java.lang.foreign.Linker");
            Class<?> option = Class.forName("java.lang.foreign.Linker$Option");
            Class<?> arena = Class.forName("java.lang.foreign.Arena");
            Class<?> lookup = Class.forName("java.lang.foreign.SymbolLookup");
            Class<?> valueLayout = Class.forName("java.lang.foreign.ValueLayout");
            Class<?> descriptor = Class.forName("java.lang.foreign.FunctionDescriptor");
            segment = Class.forName("java.lang.foreign.MemorySegment");
            layout = Class.forName("java.lang.foreign.MemoryLayout");
            linker = linkerType.getMethod("nativeLinker").invoke(null);
            // the global arena: the library stays loaded for the life of the JVM, as the handles need
            symbols = lookup.getMethod("libraryLookup", String.class, arena)
                    .invoke(null, library, arena.getMethod("global").invoke(null));
            find = lookup.getMethod("find", String.class);
            javaLong = valueLayout.getField("JAVA_LONG").get(null);
            javaInt = valueLayout.getField("JAVA_INT").get(null);
            Class<?> layouts = layout.arrayType();
            describe = descriptor.getMethod("of", layout, layouts);
            describeVoid = descriptor.getMethod("ofVoid", layouts);
            downcallHandle = linkerType.getMethod("downcallHandle", segment, descriptor, option.arrayType());
            noOptions = Array.newInstance(option, 0);
            // Critical: no thread-state transition around the call (JDK 22+). Only for the per-packet
            // calls, which neither block nor call back into Java and last microseconds.
            critical = Array.newInstance(option, 1);
            Array.set(critical, 0, option.getMethod("critical", boolean.class).invoke(null, false));
        }

        MethodHandle downcall(String name, boolean isCritical, Class<?> result, Class<?>... params)
                throws ReflectiveOperationException {
            Optional<?> symbol = (Optional<?>) find.invoke(symbols, name);
            if (symbol.isEmpty()) {
                throw new NoSuchMethodException(name + " is not in the library");
            }
            Object args = Array.newInstance(layout, params.length);
            for (int i = 0; i < params.length; i++) {
                Array.set(args, i, params[i] == long.class ? javaLong : javaInt);
            }
            Object fd = result == void.class ? describeVoid.invoke(null, args)
                    : describe.invoke(null, result == long.class ? javaLong : javaInt, args);
            MethodHandle h = (MethodHandle) downcallHandle.invoke(linker, symbol.get(), fd,
                    isCritical ? critical : noOptions);
            MethodType expected = MethodType.methodType(result, params);
            if (!h.type().equals(expected)) {
                throw new IllegalStateException(name + ": " + h.type() + " is not " + expected);
            }
            return h;
        }
    }
}
