package io.cryptun.noise.handshake;

import io.cryptun.noise.crypto.X25519Keys;
import java.util.Arrays;

/**
 * The Noise IK pattern, optionally with the psk2 modifier (Noise_IKpsk2, WireGuard's pattern):
 * <pre>
 *   &lt;- s
 *   ...
 *   -&gt; e, es, s, ss
 *   &lt;- e, ee, se, psk
 * </pre>
 * Messages are written to and read from caller buffers at an offset, so WireGuard can frame them
 * with its indices and MACs while the Noise test vectors run the very same code with offset 0.
 * The responder reads message A in two steps so that the caller can look up the initiator's static
 * key (and its precomputed static-static DH) between them.
 */
public final class IkHandshake {
    public static final int DH_LENGTH = 32;
    public static final int TAG_LENGTH = 16;
    /** e + encrypted s: the part of message A before its payload. */
    public static final int MESSAGE_A_PREFIX = DH_LENGTH + DH_LENGTH + TAG_LENGTH;
    /** e: the part of message B before its payload. */
    public static final int MESSAGE_B_PREFIX = DH_LENGTH;

    private final boolean initiator;
    private final boolean pskModifier;
    private byte[] psk;
    private final byte[] staticPrivate;
    private final byte[] staticPublic;
    private final SymmetricState state;
    private byte[] ephemeralPrivate;
    private byte[] ephemeralPublic;
    private byte[] remoteStatic;
    private byte[] remoteEphemeral;
    private boolean payloadWritten;
    /** The device's static key kept for agreements, or null: then agreements use staticPrivate. */
    private X25519Keys.AgreementKey staticKey;
    /** The ephemeral key kept for agreements, or null; destroyed with this handshake when it owns it. */
    private X25519Keys.AgreementKey ephemeralKey;
    private boolean ownsEphemeralKey;

    /**
     * @param state          the symmetric state after InitializeSymmetric and the prologue
     * @param psk            32 bytes for IKpsk2, or null for plain IK
     * @param remoteStatic   the responder's static public key (initiator only; null for a responder)
     */
    private IkHandshake(boolean initiator, SymmetricState state, byte[] psk, byte[] staticPrivate,
                        byte[] staticPublic, byte[] remoteStatic) {
        this(initiator, state, psk, staticPrivate, staticPublic, remoteStatic, false);
    }

    private IkHandshake(boolean initiator, SymmetricState state, byte[] psk, byte[] staticPrivate,
                        byte[] staticPublic, byte[] remoteStatic, boolean premessageMixed) {
        this.initiator = initiator;
        this.state = state;
        this.pskModifier = psk != null;
        this.psk = psk == null ? null : psk.clone();
        this.staticPrivate = staticPrivate.clone();
        this.staticPublic = staticPublic.clone();
        this.remoteStatic = remoteStatic == null ? null : remoteStatic.clone();
        // pre-message "<- s": both sides hash the responder's static key
        if (!premessageMixed) {
            state.mixHash(initiator ? this.remoteStatic : this.staticPublic);
        }
    }

    public static IkHandshake initiator(SymmetricState initialized, byte[] psk, byte[] staticPrivate,
                                        byte[] staticPublic, byte[] responderStatic) {
        return new IkHandshake(true, initialized, psk, staticPrivate, staticPublic, responderStatic);
    }

    public static IkHandshake responder(SymmetricState initialized, byte[] psk, byte[] staticPrivate,
                                        byte[] staticPublic) {
        return new IkHandshake(false, initialized, psk, staticPrivate, staticPublic, null);
    }

    /**
     * A responder whose state has the pre-message "&lt;- s" (its own static key) mixed in already:
     * the same for every initiation it reads, so its owner hashes it once per key pair rather than
     * once per initiation.
     */
    public static IkHandshake responderAfterPremessage(SymmetricState premessageMixed, byte[] psk,
                                                       byte[] staticPrivate, byte[] staticPublic) {
        return new IkHandshake(false, premessageMixed, psk, staticPrivate, staticPublic, null, true);
    }

    /**
     * Agreements with the static private key go through {@code key} (the same key, kept by its
     * owner for many agreements; not destroyed with this handshake). Returns this.
     */
    public IkHandshake withStaticKey(X25519Keys.AgreementKey key) {
        this.staticKey = key;
        return this;
    }

    /**
     * Agreements with the ephemeral key that {@link #writeMessageAPrefix} is given go through
     * {@code key} (made from that key pair ahead, off the packet path); this handshake owns it and
     * destroys it with itself, its copies only borrow it. Returns this.
     */
    public IkHandshake withEphemeralKey(X25519Keys.AgreementKey key) {
        this.ephemeralKey = key;
        this.ownsEphemeralKey = true;
        return this;
    }

    /**
     * -&gt; e, es, s, ss, payload. {@code ephemeralPrivate} is the fresh ephemeral key (callers draw it
     * from a SecureRandom; test vectors inject theirs). {@code staticStatic} is DH(s, rs), which
     * WireGuard precomputes per peer. Returns the number of bytes written, or -1 if a DH result is
     * all zero (a low-order key).
     */
    public int writeMessageA(byte[] ephemeralPrivate, byte[] staticStatic, byte[] payload, int pOff, int pLen,
                             byte[] out, int off) {
        int n = writeMessageAPrefix(ephemeralPrivate, X25519Keys.publicFromPrivate(ephemeralPrivate), staticStatic,
                out, off);
        return n < 0 ? -1 : writeMessageAPayload(payload, pOff, pLen, out, off);
    }

    /**
     * The first part of message A, -&gt; e, es, s, ss: everything but the payload, which depends
     * only on keys known before the handshake is due. WireGuard's payload is the timestamp, so an
     * initiator can write this part ahead, off the packet path, and add the payload with
     * {@link #writeMessageAPayload} when it sends. Writes {@link #MESSAGE_A_PREFIX} bytes at
     * {@code off}; returns that, or -1 on a low-order key.
     */
    public int writeMessageAPrefix(byte[] ephemeralPrivate, byte[] ephemeralPublic, byte[] staticStatic,
                                   byte[] out, int off) {
        requireRole(true);
        if (this.ephemeralPrivate != null) {
            throw new IllegalStateException("message A was written already");
        }
        setEphemeral(ephemeralPrivate, ephemeralPublic);
        System.arraycopy(this.ephemeralPublic, 0, out, off, DH_LENGTH);
        mixEphemeral(this.ephemeralPublic);
        byte[] dh = new byte[DH_LENGTH];
        try {
            if (!ephemeralAgreement(remoteStatic, dh)) {
                return -1;
            }
            state.mixKey(dh); // es
            int n = DH_LENGTH;
            n += state.encryptAndHash(staticPublic, 0, DH_LENGTH, out, off + n); // s
            if (isZero(staticStatic)) {
                return -1;
            }
            state.mixKey(staticStatic); // ss
            return n;
        } finally {
            Arrays.fill(dh, (byte) 0);
        }
    }

    /**
     * The rest of message A after {@link #writeMessageAPrefix}: the payload, encrypted, at {@code off +
     * MESSAGE_A_PREFIX} ({@code off} is where the prefix is or goes). Returns the length of the whole
     * message.
     */
    public int writeMessageAPayload(byte[] payload, int pOff, int pLen, byte[] out, int off) {
        requireRole(true);
        if (ephemeralPrivate == null || payloadWritten) {
            throw new IllegalStateException(payloadWritten ? "message A was written already" : "no message A prefix");
        }
        payloadWritten = true;
        return MESSAGE_A_PREFIX + state.encryptAndHash(payload, pOff, pLen, out, off + MESSAGE_A_PREFIX);
    }

    /**
     * First half of reading message A: e, es, s. Returns the initiator's static public key, or
     * null when the message does not authenticate.
     */
    public byte[] readMessageAStatic(byte[] in, int off, int len) {
        requireRole(false);
        if (len < MESSAGE_A_PREFIX + TAG_LENGTH) {
            return null;
        }
        remoteEphemeral = Arrays.copyOfRange(in, off, off + DH_LENGTH);
        mixEphemeral(remoteEphemeral);
        byte[] dh = new byte[DH_LENGTH];
        try {
            if (!staticAgreement(remoteEphemeral, dh)) {
                return null;
            }
            state.mixKey(dh); // es
        } finally {
            Arrays.fill(dh, (byte) 0);
        }
        byte[] rs = new byte[DH_LENGTH];
        if (state.decryptAndHash(in, off + DH_LENGTH, DH_LENGTH + TAG_LENGTH, rs, 0) != DH_LENGTH) {
            return null;
        }
        remoteStatic = rs;
        return rs.clone();
    }

    /**
     * Second half of reading message A: ss, payload. {@code staticStatic} is DH(s, rs). Returns the
     * payload length written to {@code payloadOut}, or -1.
     */
    public int readMessageAPayload(byte[] staticStatic, byte[] in, int off, int len, byte[] payloadOut, int outOff) {
        requireRole(false);
        if (remoteStatic == null || isZero(staticStatic)) {
            return -1;
        }
        state.mixKey(staticStatic); // ss
        return state.decryptAndHash(in, off + MESSAGE_A_PREFIX, len - MESSAGE_A_PREFIX, payloadOut, outOff);
    }

    /** &lt;- e, ee, se, psk, payload. Returns bytes written or -1 on a low-order key. */
    public int writeMessageB(byte[] ephemeralPrivate, byte[] payload, int pOff, int pLen, byte[] out, int off) {
        return writeMessageB(ephemeralPrivate, X25519Keys.publicFromPrivate(ephemeralPrivate), null, payload, pOff,
                pLen, out, off);
    }

    /**
     * The same with work the caller did ahead, while no initiator waited: the ephemeral key's public
     * half ({@code ephemeralPublic}, which must belong to {@code ephemeralPrivate}) and, where it
     * knew whose initiation would come, DH(e, rs) ({@code precomputedSe}, for the static key that
     * message A carried; null: computed here).
     */
    public int writeMessageB(byte[] ephemeralPrivate, byte[] ephemeralPublic, byte[] precomputedSe, byte[] payload,
                             int pOff, int pLen, byte[] out, int off) {
        requireRole(false);
        setEphemeral(ephemeralPrivate, ephemeralPublic);
        System.arraycopy(ephemeralPublic, 0, out, off, DH_LENGTH);
        mixEphemeral(ephemeralPublic);
        byte[] dh = new byte[DH_LENGTH];
        try {
            if (!X25519Keys.sharedSecret(this.ephemeralPrivate, ephemeralPublic, remoteEphemeral, dh)) {
                return -1;
            }
            state.mixKey(dh); // ee
            if (precomputedSe != null) {
                if (isZero(precomputedSe)) {
                    return -1;
                }
                System.arraycopy(precomputedSe, 0, dh, 0, DH_LENGTH);
            } else if (!X25519Keys.sharedSecret(this.ephemeralPrivate, ephemeralPublic, remoteStatic, dh)) {
                return -1;
            }
            state.mixKey(dh); // se
        } finally {
            Arrays.fill(dh, (byte) 0);
        }
        if (pskModifier) {
            state.mixKeyAndHash(psk);
        }
        return DH_LENGTH + state.encryptAndHash(payload, pOff, pLen, out, off + DH_LENGTH);
    }

    /** Reads message B; returns the payload length or -1 when it does not authenticate. */
    public int readMessageB(byte[] in, int off, int len, byte[] payloadOut, int outOff) {
        requireRole(true);
        if (len < MESSAGE_B_PREFIX + TAG_LENGTH) {
            return -1;
        }
        remoteEphemeral = Arrays.copyOfRange(in, off, off + DH_LENGTH);
        mixEphemeral(remoteEphemeral);
        byte[] dh = new byte[DH_LENGTH];
        try {
            if (!ephemeralAgreement(remoteEphemeral, dh)) {
                return -1;
            }
            state.mixKey(dh); // ee
            if (!staticAgreement(remoteEphemeral, dh)) {
                return -1;
            }
            state.mixKey(dh); // se
        } finally {
            Arrays.fill(dh, (byte) 0);
        }
        if (pskModifier) {
            state.mixKeyAndHash(psk);
        }
        return state.decryptAndHash(in, off + DH_LENGTH, len - DH_LENGTH, payloadOut, outOff);
    }

    /** Split() into (initiator-to-responder, responder-to-initiator) keys; then zeroes the handshake. */
    public void split(byte[] initiatorToResponder, byte[] responderToInitiator) {
        state.split(initiatorToResponder, responderToInitiator);
    }

    public byte[] handshakeHash() {
        return state.handshakeHash();
    }

    public byte[] remoteStatic() {
        return remoteStatic == null ? null : remoteStatic.clone();
    }

    public byte[] remoteEphemeral() {
        return remoteEphemeral == null ? null : remoteEphemeral.clone();
    }

    public boolean isInitiator() {
        return initiator;
    }

    /**
     * Sets the pre-shared key a responder uses for message B, once message A told it who the
     * initiator is. Only for handshakes created with a psk (IKpsk2).
     */
    public void setPsk(byte[] newPsk) {
        if (!pskModifier || newPsk == null || newPsk.length != 32) {
            throw new IllegalArgumentException("psk2 handshakes take a 32-byte psk");
        }
        if (psk != null) {
            Arrays.fill(psk, (byte) 0);
        }
        psk = newPsk.clone();
    }

    /** A deep copy, so a message can be tried without disturbing this state when it fails. */
    public IkHandshake copy() {
        IkHandshake c = new IkHandshake(this);
        return c;
    }

    private IkHandshake(IkHandshake o) {
        this.initiator = o.initiator;
        this.pskModifier = o.pskModifier;
        this.psk = o.psk == null ? null : o.psk.clone();
        this.staticPrivate = o.staticPrivate.clone();
        this.staticPublic = o.staticPublic.clone();
        this.state = o.state.copy();
        this.ephemeralPrivate = o.ephemeralPrivate == null ? null : o.ephemeralPrivate.clone();
        this.ephemeralPublic = o.ephemeralPublic == null ? null : o.ephemeralPublic.clone();
        this.remoteStatic = o.remoteStatic == null ? null : o.remoteStatic.clone();
        this.remoteEphemeral = o.remoteEphemeral == null ? null : o.remoteEphemeral.clone();
        this.payloadWritten = o.payloadWritten;
        this.staticKey = o.staticKey;
        // borrowed: a copy tried on a message and dropped must not take the key from the original
        this.ephemeralKey = o.ephemeralKey;
        this.ownsEphemeralKey = false;
    }

    /** Zeroes every secret: ephemeral and static private keys, psk, chaining key, hash. */
    public void destroy() {
        state.destroy();
        if (ownsEphemeralKey && ephemeralKey != null) {
            ephemeralKey.destroy();
        }
        if (ephemeralPrivate != null) {
            Arrays.fill(ephemeralPrivate, (byte) 0);
        }
        Arrays.fill(staticPrivate, (byte) 0);
        if (psk != null) {
            Arrays.fill(psk, (byte) 0);
        }
    }

    private boolean ephemeralAgreement(byte[] remotePublic, byte[] out) {
        return ephemeralKey != null ? ephemeralKey.agree(remotePublic, out)
                : X25519Keys.sharedSecret(ephemeralPrivate, ephemeralPublic, remotePublic, out);
    }

    private boolean staticAgreement(byte[] remotePublic, byte[] out) {
        return staticKey != null ? staticKey.agree(remotePublic, out)
                : X25519Keys.sharedSecret(staticPrivate, staticPublic, remotePublic, out);
    }

    private void mixEphemeral(byte[] e) {
        state.mixHash(e);
        if (pskModifier) {
            // with any psk modifier, the e token also mixes e into the chaining key
            state.mixKey(e);
        }
    }

    private void setEphemeral(byte[] priv, byte[] pub) {
        if (ephemeralPrivate != null) {
            Arrays.fill(ephemeralPrivate, (byte) 0);
        }
        ephemeralPrivate = priv.clone();
        ephemeralPublic = pub.clone();
    }

    private void requireRole(boolean wantInitiator) {
        if (initiator != wantInitiator) {
            throw new IllegalStateException(initiator ? "initiator cannot do this" : "responder cannot do this");
        }
    }

    private static boolean isZero(byte[] b) {
        int acc = 0;
        for (byte x : b) {
            acc |= x;
        }
        return acc == 0;
    }
}
