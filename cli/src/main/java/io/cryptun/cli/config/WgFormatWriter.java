package io.cryptun.cli.config;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.noise.crypto.Keys;
import java.util.List;

/** Writes the wg(8) part of a configuration in the layout of {@code wg showconf}. */
final class WgFormatWriter {
    private WgFormatWriter() {
    }

    static String write(WgConfig config) {
        StringBuilder sb = new StringBuilder(256 + 192 * config.peers().size());
        InterfaceSection iface = config.iface();
        sb.append("[Interface]\n");
        // showconf leaves out the zero values: port 0 means "any", mark 0 means "none"
        if (iface.listenPort().isPresent() && iface.listenPort().getAsInt() != 0) {
            sb.append("ListenPort = ").append(iface.listenPort().getAsInt()).append('\n');
        }
        if (iface.fwMark().isPresent() && iface.fwMark().getAsLong() != 0) {
            sb.append("FwMark = 0x").append(Long.toHexString(iface.fwMark().getAsLong())).append('\n');
        }
        byte[] privateKey = iface.privateKey();
        sb.append("PrivateKey = ").append(Keys.toBase64(privateKey)).append('\n');
        Keys.zero(privateKey);
        sb.append('\n');
        List<PeerSection> peers = config.peers();
        for (int i = 0; i < peers.size(); i++) {
            PeerSection peer = peers.get(i);
            sb.append("[Peer]\nPublicKey = ").append(Keys.toBase64(peer.publicKey())).append('\n');
            peer.presharedKey().ifPresent(psk -> {
                sb.append("PresharedKey = ").append(Keys.toBase64(psk)).append('\n');
                Keys.zero(psk);
            });
            if (!peer.allowedIps().isEmpty()) {
                sb.append("AllowedIPs = ");
                for (int j = 0; j < peer.allowedIps().size(); j++) {
                    IpPrefix prefix = peer.allowedIps().get(j);
                    sb.append(j == 0 ? "" : ", ").append(NumericAddress.toText(prefix.address())).append('/').append(prefix.length());
                }
                sb.append('\n');
            }
            peer.endpoint().ifPresent(e -> sb.append("Endpoint = ").append(e).append('\n'));
            if (peer.persistentKeepalive() != 0) {
                sb.append("PersistentKeepalive = ").append(peer.persistentKeepalive()).append('\n');
            }
            if (i < peers.size() - 1) {
                sb.append('\n');
            }
        }
        return sb.toString();
    }
}
