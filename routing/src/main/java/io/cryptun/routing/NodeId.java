package io.cryptun.routing;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A BMX7 node id ("global id", "kHash"): SHA-224 over {@code 0x00 ‖ keyType ‖ modulus} of the
 * node's RSA public key, printed by bmx7 as 56 upper-case hex digits.
 *
 * <p>bmx7 derives two addresses from it: the primary address {@code fd70::/16} followed by the
 * first 14 id bytes (routed by bmx7 in table 70, so it is the natural WireGuard endpoint), and the
 * tun plugin's tunnel address, the same with {@code fd71}.
 */
public final class NodeId implements Comparable<NodeId> {
    public static final int LENGTH = 28;
    public static final int HEX_LENGTH = 2 * LENGTH;
    /** The first two bytes of the primary address (bmx7's default {@code ipAutoPrefix}). */
    public static final int PRIMARY_PREFIX = 0xfd70;
    private static final HexFormat HEX = HexFormat.of().withUpperCase();

    private final byte[] bytes;

    private NodeId(byte[] bytes) {
        this.bytes = bytes;
    }

    /** Wraps 28 bytes (copied). */
    public static NodeId of(byte[] bytes) {
        if (bytes == null || bytes.length != LENGTH) {
            throw new IllegalArgumentException("a node id is " + LENGTH + " bytes");
        }
        return new NodeId(bytes.clone());
    }

    /** Parses 56 hex digits, either case. */
    public static NodeId parse(String text) {
        if (!isNodeIdText(text)) {
            throw new IllegalArgumentException("a node id is " + HEX_LENGTH + " hex digits");
        }
        return new NodeId(HEX.parseHex(text));
    }

    /** True when {@code text} is exactly 56 hex digits. */
    public static boolean isNodeIdText(String text) {
        if (text == null || text.length() != HEX_LENGTH) {
            return false;
        }
        for (int i = 0; i < HEX_LENGTH; i++) {
            if (Character.digit(text.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * The id bmx7 computes from a node's public key: the hash covers the one-byte content header
     * (0: no gzip, no nesting), the key type (6 = RSA2048) and the big-endian modulus.
     */
    public static NodeId fromNodeKey(int keyType, byte[] modulus) {
        if (keyType < 0 || keyType > 255) {
            throw new IllegalArgumentException("key type must fit one byte");
        }
        try {
            MessageDigest sha224 = MessageDigest.getInstance("SHA-224");
            sha224.update((byte) 0);
            sha224.update((byte) keyType);
            sha224.update(modulus);
            return new NodeId(sha224.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-224 is required of every JDK", e);
        }
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    /** The first 4 bytes in hex, as bmx7's {@code shortId} column. */
    public String shortId() {
        return HEX.formatHex(bytes, 0, 4);
    }

    /** The primary address {@code fd70:} + first 14 id bytes: the WireGuard endpoint of this node. */
    public Inet6Address primaryAddress() {
        return addressWithPrefix(PRIMARY_PREFIX);
    }

    /** The tun plugin's first tunnel address ({@code fd71:} + first 14 id bytes). */
    public Inet6Address tunnelAddress() {
        return addressWithPrefix(PRIMARY_PREFIX + 1);
    }

    /** True when {@code address} is exactly this node's primary address. */
    public boolean isPrimaryAddress(InetAddress address) {
        return address != null && Arrays.equals(address.getAddress(), primaryAddress().getAddress());
    }

    private Inet6Address addressWithPrefix(int prefix16) {
        byte[] a = new byte[16];
        a[0] = (byte) (prefix16 >>> 8);
        a[1] = (byte) prefix16;
        System.arraycopy(bytes, 0, a, 2, 14);
        try {
            return (Inet6Address) InetAddress.getByAddress(a);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NodeId n && Arrays.equals(n.bytes, bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public int compareTo(NodeId o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }

    /** 56 upper-case hex digits, as bmx7 prints ids and names its files. */
    @Override
    public String toString() {
        return HEX.formatHex(bytes);
    }
}
