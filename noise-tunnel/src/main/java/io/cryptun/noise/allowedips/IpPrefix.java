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
        byte[] b = addr.indexOf(':') >= 0 ? parseIpv6(addr) : parseIpv4(addr);
        if (b == null) {
            throw new IllegalArgumentException("bad " + (addr.indexOf(':') >= 0 ? "IPv6" : "IPv4") + " address '"
                    + (addr.length() > 60 ? addr.substring(0, 60) + "…" : addr) + "'");
        }
        return b;
    }

    /** Dotted quad, ASCII decimal digits only, each part 0..255 with at most 3 digits. */
    private static byte[] parseIpv4(String s) {
        byte[] b = new byte[4];
        int part = 0;
        int value = 0;
        int digits = 0;
        for (int i = 0; i <= s.length(); i++) {
            char c = i < s.length() ? s.charAt(i) : '.';
            if (c >= '0' && c <= '9') {
                value = value * 10 + (c - '0');
                if (++digits > 3 || value > 255) {
                    return null;
                }
            } else if (c == '.') {
                if (digits == 0 || part == 4) {
                    return null;
                }
                b[part++] = (byte) value;
                value = 0;
                digits = 0;
            } else {
                return null;
            }
        }
        return part == 4 ? b : null;
    }

    /** RFC 4291 text form: hex groups, at most one "::", optionally a dotted quad at the end. */
    private static byte[] parseIpv6(String s) {
        int[] groups = new int[8];
        int n = 0;
        int gap = -1;
        int i = 0;
        int len = s.length();
        if (s.startsWith("::")) {
            gap = 0;
            i = 2;
            if (len == 2) {
                return new byte[16];
            }
        } else if (s.startsWith(":")) {
            return null;
        }
        while (i < len) {
            if (n == 8) {
                return null;
            }
            int start = i;
            int value = 0;
            while (i < len && i - start < 5) {
                int d = hexDigit(s.charAt(i));
                if (d < 0) {
                    break;
                }
                value = value * 16 + d;
                i++;
            }
            if (i < len && s.charAt(i) == '.') {
                // an embedded IPv4 address takes the last two groups
                byte[] v4 = parseIpv4(s.substring(start));
                if (v4 == null || n > 6) {
                    return null;
                }
                groups[n++] = (v4[0] & 0xff) << 8 | (v4[1] & 0xff);
                groups[n++] = (v4[2] & 0xff) << 8 | (v4[3] & 0xff);
                i = len;
                break;
            }
            int digits = i - start;
            if (digits == 0 || digits > 4) {
                return null;
            }
            groups[n++] = value;
            if (i == len) {
                break;
            }
            if (s.charAt(i) != ':') {
                return null;
            }
            i++;
            if (i < len && s.charAt(i) == ':') {
                if (gap >= 0) {
                    return null;
                }
                gap = n;
                i++;
            } else if (i == len) {
                return null;
            }
        }
        if (gap < 0 && n != 8) {
            return null;
        }
        if (gap >= 0 && n == 8) {
            return null;
        }
        int[] full = new int[8];
        if (gap < 0) {
            full = groups;
        } else {
            int tail = n - gap;
            System.arraycopy(groups, 0, full, 0, gap);
            System.arraycopy(groups, gap, full, 8 - tail, tail);
        }
        byte[] b = new byte[16];
        for (int g = 0; g < 8; g++) {
            b[2 * g] = (byte) (full[g] >>> 8);
            b[2 * g + 1] = (byte) full[g];
        }
        return b;
    }

    private static int hexDigit(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
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

    /**
     * The address as {@code wg} and wireguard-go print it: dotted quad, compressed lowercase IPv6
     * (RFC 5952), and an IPv4-mapped IPv6 address as {@code ::ffff:a.b.c.d}.
     */
    public static String hostString(byte[] address) {
        if (address.length == 4) {
            return (address[0] & 0xff) + "." + (address[1] & 0xff) + "." + (address[2] & 0xff) + "." + (address[3] & 0xff);
        }
        if (isV4Mapped(address)) {
            return "::ffff:" + (address[12] & 0xff) + "." + (address[13] & 0xff) + "." + (address[14] & 0xff) + "."
                    + (address[15] & 0xff);
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

    /** True for ::ffff:a.b.c.d. */
    public static boolean isV4Mapped(byte[] a) {
        if (a.length != 16) {
            return false;
        }
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return (a[10] & 0xff) == 0xff && (a[11] & 0xff) == 0xff;
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
