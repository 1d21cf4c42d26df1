package io.cryptun.noise.allowedips;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * An IPv4 or IPv6 prefix in canonical form: the host bits below the prefix length are zero,
 * as {@code wg} shows allowed IPs.
 */
public final class IpPrefix implements Comparable<IpPrefix> {
    private final byte[] address;
    private final int length;

    private IpPrefix(byte[] address, int length) {
        this.address = address;
        this.length = length;
    }

    /** Masks the host bits of {@code address} away. The array is copied. */
    public static IpPrefix of(byte[] address, int length) {
        if (address.length != 4 && address.length != 16) {
            throw new IllegalArgumentException("address must be 4 or 16 bytes");
        }
        if (length < 0 || length > address.length * 8) {
            throw new IllegalArgumentException("prefix length " + length + " out of range for "
                    + (address.length == 4 ? "IPv4" : "IPv6"));
        }
        byte[] masked = address.clone();
        for (int bit = length; bit < masked.length * 8; bit++) {
            masked[bit >>> 3] &= (byte) ~(0x80 >>> (bit & 7));
        }
        return new IpPrefix(masked, length);
    }

    public static IpPrefix of(InetAddress address, int length) {
        return of(address.getAddress(), length);
    }

    /**
     * Parses "10.0.0.0/8", "fd00::/64", or a bare address (a host prefix). Only numeric
     * addresses are accepted: no name is ever resolved here.
     */
    public static IpPrefix parse(String text) {
        String s = text.trim();
        int slash = s.indexOf('/');
        String addr = slash < 0 ? s : s.substring(0, slash);
        byte[] bytes = parseNumericAddress(addr);
        int len = bytes.length * 8;
        if (slash >= 0) {
            String lenText = s.substring(slash + 1);
            if (lenText.isEmpty() || lenText.length() > 3 || !lenText.chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("bad prefix length in '" + text + "'");
            }
            len = Integer.parseInt(lenText);
            if (len > bytes.length * 8) {
                throw new IllegalArgumentException("prefix length " + len + " too long in '" + text + "'");
            }
        }
        return of(bytes, len);
    }

    /** Parses a numeric IPv4 (dotted quad) or IPv6 address without any name lookup. */
    public static byte[] parseNumericAddress(String addr) {
        if (addr.isEmpty()) {
            throw new IllegalArgumentException("empty address");
        }
        if (addr.indexOf(':') >= 0) {
            for (int i = 0; i < addr.length(); i++) {
                char c = addr.charAt(i);
                if (!(Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
                    throw new IllegalArgumentException("bad IPv6 address '" + addr + "'");
                }
            }
            try {
                byte[] b = InetAddress.getByName(addr).getAddress();
                if (b.length == 4) {
                    // an IPv4-mapped literal; keep it IPv6 as written
                    byte[] mapped = new byte[16];
                    mapped[10] = (byte) 0xff;
                    mapped[11] = (byte) 0xff;
                    System.arraycopy(b, 0, mapped, 12, 4);
                    return mapped;
                }
                return b;
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("bad IPv6 address '" + addr + "'");
            }
        }
        String[] parts = addr.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("bad IPv4 address '" + addr + "'");
        }
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("bad IPv4 address '" + addr + "'");
            }
            int v = Integer.parseInt(p);
            if (v > 255) {
                throw new IllegalArgumentException("bad IPv4 address '" + addr + "'");
            }
            b[i] = (byte) v;
        }
        return b;
    }

    /** A copy of the (masked) address bytes: 4 for IPv4, 16 for IPv6. */
    public byte[] address() {
        return address.clone();
    }

    public InetAddress inetAddress() {
        try {
            return InetAddress.getByAddress(address);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    public int length() {
        return length;
    }

    public boolean isIpv4() {
        return address.length == 4;
    }

    /** Byte {@code i} of the masked address, without copying. */
    public int addressByte(int i) {
        return address[i] & 0xff;
    }

    public int addressLength() {
        return address.length;
    }

    /** True when {@code ip} (4 or 16 bytes) lies inside this prefix. */
    public boolean contains(byte[] ip) {
        if (ip.length != address.length) {
            return false;
        }
        int full = length >>> 3;
        for (int i = 0; i < full; i++) {
            if (ip[i] != address[i]) {
                return false;
            }
        }
        int rest = length & 7;
        if (rest == 0) {
            return true;
        }
        int mask = (0xff00 >>> rest) & 0xff;
        return (ip[full] & mask) == (address[full] & 0xff);
    }

    @Override
    public String toString() {
        return hostString(address) + "/" + length;
    }

    /** The address as {@code wg} prints it: dotted quad, or compressed lowercase IPv6. */
    public static String hostString(byte[] address) {
        if (address.length == 4) {
            return (address[0] & 0xff) + "." + (address[1] & 0xff) + "." + (address[2] & 0xff) + "." + (address[3] & 0xff);
        }
        // RFC 5952: compress the longest run (>= 2) of zero groups, lowercase, no leading zeros
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((address[2 * i] & 0xff) << 8) | (address[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append(i == 0 ? "::" : ":");
                i += bestLen - 1;
                continue;
            }
            sb.append(Integer.toHexString(g[i]));
            if (i < 7) {
                sb.append(':');
            }
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IpPrefix p && p.length == length && Arrays.equals(p.address, address);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(address) * 31 + length;
    }

    /** IPv4 before IPv6, then by address, then shorter prefixes first. */
    @Override
    public int compareTo(IpPrefix o) {
        if (address.length != o.address.length) {
            return address.length - o.address.length;
        }
        int c = Arrays.compareUnsigned(address, o.address);
        return c != 0 ? c : Integer.compare(length, o.length);
    }
}
