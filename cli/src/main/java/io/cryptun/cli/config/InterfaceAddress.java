package io.cryptun.cli.config;

import io.cryptun.noise.allowedips.IpPrefix;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * One wg-quick {@code Address =} entry: the interface's own address and the length of the
 * on-link prefix. Unlike {@link IpPrefix} the host bits are kept: {@code 10.0.0.7/24} means
 * "this host is 10.0.0.7 on 10.0.0.0/24".
 */
public record InterfaceAddress(byte[] address, int prefixLength) {

    public InterfaceAddress {
        if (address == null || (address.length != 4 && address.length != 16)) {
            throw new IllegalArgumentException("address must be 4 or 16 bytes");
        }
        if (prefixLength < 0 || prefixLength > address.length * 8) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " out of range");
        }
        address = address.clone();
    }

    /**
     * Parses {@code 10.0.0.7/24}, {@code fd00::7/64}, or a bare address (then /32 or /128,
     * as {@code ip address add} assumes). Numeric only; throws {@link IllegalArgumentException}.
     */
    public static InterfaceAddress parse(String text) {
        int slash = text.indexOf('/');
        byte[] address = NumericAddress.parse(slash < 0 ? text : text.substring(0, slash));
        int length = slash < 0 ? address.length * 8
                : NumericAddress.prefixLength(text.substring(slash + 1), address.length);
        return new InterfaceAddress(address, length);
    }

    @Override
    public byte[] address() {
        return address.clone();
    }

    public boolean isIpv4() {
        return address.length == 4;
    }

    public InetAddress inetAddress() {
        try {
            return InetAddress.getByAddress(address);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** The on-link prefix, host bits cleared. */
    public IpPrefix network() {
        return IpPrefix.of(address, prefixLength);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InterfaceAddress a && a.prefixLength == prefixLength && Arrays.equals(a.address, address);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(address) * 31 + prefixLength;
    }

    /** As {@code ip address} takes it: {@code 10.0.0.7/24}. */
    @Override
    public String toString() {
        return NumericAddress.toText(address) + "/" + prefixLength;
    }
}
