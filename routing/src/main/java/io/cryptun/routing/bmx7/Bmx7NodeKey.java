package io.cryptun.routing.bmx7;

import io.cryptun.routing.NodeId;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * bmx7's node key file ({@code nodeRsaKey /keyPath}, default {@code /etc/bmx7/rsa.der}): the
 * node's RSA private key, DER-encoded as bmx7 writes it with mbedTLS (PKCS#1 RSAPrivateKey),
 * also accepted wrapped in PKCS#8 as openssl converts it. Integers are read as unsigned
 * magnitudes: PolarSSL-era bmx7 wrote them without the leading zero byte DER asks for.
 *
 * <p>Only what identifies the key is kept: the modulus (public, it gives the node id) and the two
 * primes (secret; {@link #destroy} wipes them). The file is checked to be one consistent RSA key
 * of a size bmx7 uses: p × q = n, 1024 to 4096 bits.
 */
public final class Bmx7NodeKey {
    /** The default {@code /keyPath} of bmx7's node key. */
    public static final Path DEFAULT_PATH = Path.of("/etc/bmx7/rsa.der");
    private static final int MAX_FILE_BYTES = 16 * 1024;
    private static final byte[] RSA_ENCRYPTION_OID = {0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01};

    private final byte[] modulus;
    private final byte[] smallerPrime;
    private final byte[] largerPrime;

    private Bmx7NodeKey(byte[] modulus, byte[] p, byte[] q) {
        this.modulus = modulus;
        boolean pFirst = new BigInteger(1, p).compareTo(new BigInteger(1, q)) <= 0;
        this.smallerPrime = pFirst ? p : q;
        this.largerPrime = pFirst ? q : p;
    }

    /**
     * Reads and checks a node key file.
     *
     * @throws IOException with a one-line message naming the file (never key material)
     */
    public static Bmx7NodeKey read(Path file) throws IOException {
        byte[] der;
        try {
            if (!Files.isRegularFile(file)) {
                throw new IOException("not a regular file");
            }
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new IOException("larger than " + MAX_FILE_BYTES + " bytes");
            }
            der = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IOException(file + ": cannot read the bmx7 node key: " + e.getMessage());
        }
        try {
            return parse(der);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": not a bmx7 node key (DER RSA private key): " + e.getMessage());
        } finally {
            Arrays.fill(der, (byte) 0);
        }
    }

    /** Parses DER (PKCS#1, or PKCS#8 around it); bad input is an {@link IllegalArgumentException}. */
    public static Bmx7NodeKey parse(byte[] der) {
        Der top = new Der(der, 0, der.length);
        Der seq = top.enter(0x30, "a SEQUENCE");
        if (!top.atEnd()) {
            throw new IllegalArgumentException("bytes after the key");
        }
        Der version = seq.copy();
        version.skip(0x02, "a version INTEGER");
        if (!seq.atEnd() && seq.peekTag() == 0x02 && version.peekTag() == 0x30) {
            return fromPkcs8(seq);
        }
        return fromPkcs1(seq);
    }

    private static Bmx7NodeKey fromPkcs8(Der info) {
        if (!isZero(info.integer("the version"))) {
            throw new IllegalArgumentException("unknown PKCS#8 version");
        }
        Der alg = info.enter(0x30, "an AlgorithmIdentifier");
        byte[] oid = alg.read(0x06, "an algorithm OID");
        if (!Arrays.equals(oid, RSA_ENCRYPTION_OID)) {
            throw new IllegalArgumentException("not an RSA key");
        }
        byte[] inner = info.read(0x04, "the wrapped key");
        try {
            Der top = new Der(inner, 0, inner.length);
            Der seq = top.enter(0x30, "a SEQUENCE");
            if (!top.atEnd()) {
                throw new IllegalArgumentException("bytes after the wrapped key");
            }
            return fromPkcs1(seq);
        } finally {
            Arrays.fill(inner, (byte) 0);
        }
    }

    private static Bmx7NodeKey fromPkcs1(Der key) {
        if (!isZero(key.integer("the version"))) {
            throw new IllegalArgumentException("not a two-prime RSA key (version is not 0)");
        }
        byte[] n = key.integer("the modulus");
        byte[] e = key.integer("the public exponent");
        byte[] d = key.integer("the private exponent");
        Arrays.fill(d, (byte) 0);
        byte[] p = key.integer("the first prime");
        byte[] q = key.integer("the second prime");
        String problem = keyType(n.length) < 0
                ? "a " + n.length * 8 + "-bit modulus is not a bmx7 key size (1024, 1536, 2048, 3072, 4096)"
                : isZero(e) || !new BigInteger(1, p).multiply(new BigInteger(1, q)).equals(new BigInteger(1, n))
                ? "the primes do not make the modulus" : null;
        if (problem != null) {
            Arrays.fill(p, (byte) 0);
            Arrays.fill(q, (byte) 0);
            throw new IllegalArgumentException(problem);
        }
        return new Bmx7NodeKey(n, p, q);
    }

    /** bmx7's key type for a modulus of this many bytes (4 = RSA1024 ... 8 = RSA4096), -1 for none. */
    static int keyType(int modulusBytes) {
        return switch (modulusBytes) {
            case 128 -> 4;
            case 192 -> 5;
            case 256 -> 6;
            case 384 -> 7;
            case 512 -> 8;
            default -> -1;
        };
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    /** The node id bmx7 shows for this key: SHA-224(0 ‖ key type ‖ modulus). */
    public NodeId nodeId() {
        return NodeId.fromNodeKey(keyType(modulus.length), modulus);
    }

    /** The key size in bits. */
    public int bits() {
        return modulus.length * 8;
    }

    /** The smaller of the two primes, big-endian without leading zeros (a copy; the caller wipes it). */
    public byte[] smallerPrime() {
        return smallerPrime.clone();
    }

    /** The larger of the two primes, big-endian without leading zeros (a copy; the caller wipes it). */
    public byte[] largerPrime() {
        return largerPrime.clone();
    }

    /** Wipes the primes. */
    public void destroy() {
        Arrays.fill(smallerPrime, (byte) 0);
        Arrays.fill(largerPrime, (byte) 0);
    }

    @Override
    public String toString() {
        return "Bmx7NodeKey[RSA" + bits() + " " + nodeId().shortId() + "]";
    }

    /** A cursor over DER TLVs within [pos, end). */
    private static final class Der {
        private final byte[] buf;
        private int pos;
        private final int end;

        Der(byte[] buf, int pos, int end) {
            this.buf = buf;
            this.pos = pos;
            this.end = end;
        }

        Der copy() {
            return new Der(buf, pos, end);
        }

        boolean atEnd() {
            return pos >= end;
        }

        int peekTag() {
            if (pos >= end) {
                throw new IllegalArgumentException("truncated");
            }
            return buf[pos] & 0xff;
        }

        /** Checks the tag and length; returns the content's start, leaving pos at the content's end. */
        private int header(int tag, String what) {
            if (pos >= end || (buf[pos] & 0xff) != tag) {
                throw new IllegalArgumentException("expected " + what);
            }
            pos++;
            if (pos >= end) {
                throw new IllegalArgumentException("truncated");
            }
            int first = buf[pos++] & 0xff;
            long len;
            if (first < 0x80) {
                len = first;
            } else {
                int n = first & 0x7f;
                if (n == 0 || n > 3 || pos + n > end) {
                    throw new IllegalArgumentException("bad length of " + what);
                }
                len = 0;
                for (int i = 0; i < n; i++) {
                    len = (len << 8) | (buf[pos++] & 0xff);
                }
            }
            if (len > end - pos) {
                throw new IllegalArgumentException(what + " is truncated");
            }
            int start = pos;
            pos += (int) len;
            return start;
        }

        Der enter(int tag, String what) {
            int start = header(tag, what);
            return new Der(buf, start, pos);
        }

        void skip(int tag, String what) {
            header(tag, what);
        }

        byte[] read(int tag, String what) {
            int start = header(tag, what);
            return Arrays.copyOfRange(buf, start, pos);
        }

        /** An INTEGER as an unsigned magnitude without leading zeros (empty for zero). */
        byte[] integer(String what) {
            int start = header(0x02, "an INTEGER (" + what + ")");
            if (start == pos) {
                throw new IllegalArgumentException(what + " is empty");
            }
            int i = start;
            while (i < pos && buf[i] == 0) {
                i++;
            }
            return Arrays.copyOfRange(buf, i, pos);
        }
    }
}
