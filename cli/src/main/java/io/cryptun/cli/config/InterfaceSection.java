package io.cryptun.cli.config;

import io.cryptun.noise.crypto.Keys;
import java.security.MessageDigest;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The {@code [Interface]} section. The first three components are what wg(8) {@code setconf}
 * reads; the rest are wg-quick(8) additions, kept as parsed for the daemon to apply.
 *
 * @param privateKey the interface's X25519 private key, 32 bytes
 * @param listenPort UDP port, 0 for "pick one"; empty when not given
 * @param fwMark     firewall mark for outgoing packets, 0 to 0xffffffff (0 = off); empty when not given
 * @param addresses  wg-quick {@code Address}, in file order
 * @param mtu        wg-quick {@code MTU}; empty for "work it out"
 * @param dns        wg-quick {@code DNS} entries as written: server addresses and search domains
 * @param table      wg-quick {@code Table} as written ({@code off}, {@code auto}, a number or a name)
 * @param saveConfig wg-quick {@code SaveConfig}
 */
public record InterfaceSection(
        byte[] privateKey,
        OptionalInt listenPort,
        OptionalLong fwMark,
        List<InterfaceAddress> addresses,
        OptionalInt mtu,
        List<String> dns,
        Optional<String> table,
        List<String> preUp,
        List<String> postUp,
        List<String> preDown,
        List<String> postDown,
        boolean saveConfig) {

    public static final long MAX_FWMARK = 0xffff_ffffL;

    public InterfaceSection {
        if (privateKey == null || privateKey.length != Keys.KEY_LENGTH) {
            throw new IllegalArgumentException("private key must be 32 bytes");
        }
        privateKey = privateKey.clone();
        Objects.requireNonNull(listenPort, "listenPort");
        Objects.requireNonNull(fwMark, "fwMark");
        Objects.requireNonNull(mtu, "mtu");
        Objects.requireNonNull(table, "table");
        if (listenPort.isPresent() && (listenPort.getAsInt() < 0 || listenPort.getAsInt() > 65535)) {
            throw new IllegalArgumentException("listen port out of range");
        }
        if (fwMark.isPresent() && (fwMark.getAsLong() < 0 || fwMark.getAsLong() > MAX_FWMARK)) {
            throw new IllegalArgumentException("fwmark out of range");
        }
        addresses = List.copyOf(addresses);
        dns = List.copyOf(dns);
        preUp = List.copyOf(preUp);
        postUp = List.copyOf(postUp);
        preDown = List.copyOf(preDown);
        postDown = List.copyOf(postDown);
    }

    /** Only the wg(8) part; all wg-quick additions empty. */
    public static InterfaceSection of(byte[] privateKey, OptionalInt listenPort, OptionalLong fwMark) {
        return new InterfaceSection(privateKey, listenPort, fwMark, List.of(), OptionalInt.empty(), List.of(),
                Optional.empty(), List.of(), List.of(), List.of(), List.of(), false);
    }

    /** A copy of the private key; the caller should {@link Keys#zero} it when done. */
    @Override
    public byte[] privateKey() {
        return privateKey.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InterfaceSection s
                && MessageDigest.isEqual(s.privateKey, privateKey)
                && s.listenPort.equals(listenPort) && s.fwMark.equals(fwMark)
                && s.addresses.equals(addresses) && s.mtu.equals(mtu) && s.dns.equals(dns)
                && s.table.equals(table) && s.preUp.equals(preUp) && s.postUp.equals(postUp)
                && s.preDown.equals(preDown) && s.postDown.equals(postDown) && s.saveConfig == saveConfig;
    }

    @Override
    public int hashCode() {
        // the key is left out so that hash values say nothing about it
        return Objects.hash(listenPort, fwMark, addresses, mtu, dns, table, preUp, postUp, preDown, postDown, saveConfig);
    }

    /** Never shows the private key. */
    @Override
    public String toString() {
        return "InterfaceSection[privateKey=<hidden>, listenPort=" + listenPort + ", fwMark=" + fwMark
                + ", addresses=" + addresses + ", mtu=" + mtu + ", dns=" + dns + ", table=" + table
                + ", preUp=" + preUp + ", postUp=" + postUp + ", preDown=" + preDown + ", postDown=" + postDown
                + ", saveConfig=" + saveConfig + "]";
    }
}
