package io.cryptun.cli.config;

import io.cryptun.noise.allowedips.IpPrefix;

/** Numeric IPv4/IPv6 address and prefix-length text, checked so that no name is ever looked up. */
final class NumericAddress {
    private NumericAddress() {
    }

    /**
     * Parses a numeric address, failing with the short message the config parser reports ("not an
     * IPv4 address"). {@link IpPrefix#parseNumericAddress} takes ASCII digits only and never looks a
     * name up; the character check here is what tells an IPv4 from an IPv6 mistake early.
     */
    static byte[] parse(String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("empty address");
        }
        boolean ipv6 = text.indexOf(':') >= 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean ok = (c >= '0' && c <= '9') || c == '.'
                    || (ipv6 && (c == ':' || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
            if (!ok) {
                throw new IllegalArgumentException(ipv6 ? "not an IPv6 address" : "not an IPv4 address");
            }
        }
        try {
            return IpPrefix.parseNumericAddress(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(ipv6 ? "not an IPv6 address" : "not an IPv4 address");
        }
    }

    /** A prefix length of 0 to 32 (IPv4) or 0 to 128 (IPv6), decimal digits only. */
    static int prefixLength(String text, int addressBytes) {
        int max = addressBytes * 8;
        if (text.isEmpty() || text.length() > 3 || !Decimal.isDigits(text)) {
            throw new IllegalArgumentException("prefix length is not a number from 0 to " + max);
        }
        int length = Integer.parseInt(text);
        if (length > max) {
            throw new IllegalArgumentException("prefix length " + length + " is longer than " + max);
        }
        return length;
    }

    /** The address as wg prints it; IPv4-mapped IPv6 keeps its dotted tail, as inet_ntop does. */
    static String toText(byte[] address) {
        if (IpPrefix.isV4Mapped(address)) {
            return "::ffff:" + (address[12] & 0xff) + "." + (address[13] & 0xff) + "."
                    + (address[14] & 0xff) + "." + (address[15] & 0xff);
        }
        return IpPrefix.hostString(address);
    }
}
