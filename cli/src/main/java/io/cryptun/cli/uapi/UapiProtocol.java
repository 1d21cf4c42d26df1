package io.cryptun.cli.uapi;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.noise.crypto.Keys;
import io.cryptun.noise.device.Device;
import io.cryptun.noise.device.Peer;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The userspace API's get and set, as wireguard-go answers them (device/uapi.go), with one
 * difference on purpose: a set is validated whole and then applied whole, so a refused set
 * changes nothing. Calls are serialized.
 */
public final class UapiProtocol {
    private final UapiTarget target;
    private final int maxPeers;
    private volatile Function<byte[], String> peerNotes = key -> null;
    private volatile java.util.function.Supplier<List<String>> interfaceWarnings = List::of;

    public UapiProtocol(UapiTarget target, int maxPeers) {
        this.target = target;
        this.maxPeers = maxPeers;
    }

    /**
     * Why handshakes with a peer cannot succeed for a reason known outside the device (the mesh
     * refused it: its secrets do not match), by public key; null for none. {@code cryptun show}
     * gives it as the peer's handshake failure, ahead of what the device saw.
     */
    public void setPeerNotes(Function<byte[], String> notes) {
        peerNotes = notes == null ? key -> null : notes;
    }

    /**
     * Standing problems of the interface's setup known outside the device (in a mesh: bmx7
     * searches of its own that take traffic meant for WireGuard); {@code cryptun show} lists them.
     */
    public void setInterfaceWarnings(java.util.function.Supplier<List<String>> warnings) {
        interfaceWarnings = warnings == null ? List::of : warnings;
    }

    /** The body of a get reply, without the final "errno=0" line. */
    public synchronized String get() {
        Device d = target.device();
        StringBuilder sb = new StringBuilder(256);
        byte[] priv = d.privateKey();
        if (priv != null) {
            sb.append("private_key=").append(Keys.toHex(priv)).append('\n');
            Keys.zero(priv);
        }
        if (target.listenPort() != 0) {
            sb.append("listen_port=").append(target.listenPort()).append('\n');
        }
        if (target.fwmark() != 0) {
            sb.append("fwmark=").append(Integer.toUnsignedString(target.fwmark())).append('\n');
        }
        for (Peer p : d.peers()) {
            sb.append("public_key=").append(Keys.toHex(p.publicKey())).append('\n');
            byte[] psk = p.presharedKey();
            sb.append("preshared_key=").append(Keys.toHex(psk)).append('\n');
            Keys.zero(psk);
            sb.append("protocol_version=1\n");
            InetSocketAddress ep = p.endpoint();
            if (ep != null) {
                sb.append("endpoint=").append(formatEndpoint(ep)).append('\n');
            }
            long hs = p.lastHandshakeUnixNanos();
            sb.append("last_handshake_time_sec=").append(hs / 1_000_000_000L).append('\n');
            sb.append("last_handshake_time_nsec=").append(hs % 1_000_000_000L).append('\n');
            sb.append("tx_bytes=").append(p.txBytes()).append('\n');
            sb.append("rx_bytes=").append(p.rxBytes()).append('\n');
            sb.append("persistent_keepalive_interval=").append(p.persistentKeepaliveSeconds()).append('\n');
            for (IpPrefix prefix : d.allowedIps().prefixesOf(p)) {
                sb.append("allowed_ip=").append(UapiText.prefix(prefix)).append('\n');
            }
        }
        return sb.toString();
    }

    /** cryptun's counters as key=value lines: drops by reason and protocol events. */
    public synchronized String stats() {
        Device d = target.device();
        StringBuilder sb = new StringBuilder(512);
        sb.append("peers=").append(d.peerCount()).append('\n');
        d.stats().dropsByReason().forEach((r, n) -> sb.append("drop_").append(r.name().toLowerCase()).append('=').append(n).append('\n'));
        d.stats().eventCounts().forEach((e, n) -> sb.append("event_").append(e.name().toLowerCase()).append('=').append(n).append('\n'));
        for (String w : interfaceWarnings.get()) {
            sb.append("warning=").append(w.replace('\n', ' ')).append('\n');
        }
        for (Peer p : d.peers()) {
            String note = peerNotes.apply(p.publicKey());
            String failure = note != null ? note : p.lastHandshakeFailure();
            if (failure != null) {
                long at = note != null ? System.currentTimeMillis() / 1000 : p.lastHandshakeFailureUnixNanos() / 1_000_000_000L;
                sb.append("failure_public_key=").append(Keys.toHex(p.publicKey())).append('\n');
                sb.append("failure_reason=").append(failure.replace('\n', ' ')).append('\n');
                sb.append("failure_time_sec=").append(at).append('\n');
            }
        }
        return sb.toString();
    }

    /** "a.b.c.d:port" or "[v6]:port", as wireguard-go prints endpoints. */
    public static String formatEndpoint(InetSocketAddress ep) {
        return UapiText.endpoint(ep);
    }

    /** Applies a set request entirely, or (throwing) not at all. */
    public synchronized void set(SetRequest request) throws UapiException {
        List<SetRequest.Op> ops = request.ops();
        Integer port = null;
        Integer mark = null;
        for (SetRequest.Op op : ops) {
            if (op instanceof SetRequest.ListenPort lp) {
                port = lp.port();
            } else if (op instanceof SetRequest.FwMark fm) {
                mark = fm.mark();
            }
        }
        checkPeerLimit(ops);

        // the fallible parts first: a new socket (and its mark), or the mark on the current one
        UapiTarget.PortChange change = null;
        try {
            if (port != null && (port == 0 || port != target.listenPort())) {
                change = target.prepareListenPort(port, mark != null ? mark : target.fwmark());
            } else if (mark != null && mark != target.fwmark()) {
                target.setFwmark(mark);
            }
        } catch (BindException e) {
            throw new UapiException(UapiErrno.EADDRINUSE, "failed to set listen_port: " + e.getMessage());
        } catch (IOException e) {
            throw new UapiException(UapiErrno.EADDRINUSE, "failed to update fwmark: " + e.getMessage());
        }
        if (change != null) {
            change.commit();
        }
        applyInMemory(ops);
    }

    private void applyInMemory(List<SetRequest.Op> ops) {
        Device d = target.device();
        Peer peer = null;
        boolean dummy = false;
        boolean created = false;
        for (SetRequest.Op op : ops) {
            if (op instanceof SetRequest.PrivateKey pk) {
                d.setPrivateKey(Keys.isZero(pk.key()) ? null : pk.key());
            } else if (op instanceof SetRequest.ReplacePeers) {
                d.removeAllPeers();
            } else if (op instanceof SetRequest.SelectPeer sp) {
                byte[] own = d.publicKey();
                dummy = own != null && java.util.Arrays.equals(own, sp.publicKey());
                if (dummy) {
                    peer = null;
                    created = false;
                } else {
                    peer = d.peer(sp.publicKey());
                    created = peer == null;
                    if (created) {
                        peer = d.addPeer(sp.publicKey());
                    }
                }
            } else if (op instanceof SetRequest.UpdateOnly) {
                if (created && !dummy) {
                    d.removePeer(peer);
                    dummy = true;
                }
            } else if (op instanceof SetRequest.Remove) {
                if (!dummy && peer != null) {
                    d.removePeer(peer);
                }
                dummy = true;
            } else if (dummy || peer == null) {
                continue;
            } else if (op instanceof SetRequest.PresharedKey psk) {
                peer.setPresharedKey(Keys.isZero(psk.key()) ? null : psk.key());
            } else if (op instanceof SetRequest.Endpoint ep) {
                peer.setEndpoint(ep.address());
            } else if (op instanceof SetRequest.PersistentKeepalive ka) {
                peer.setPersistentKeepalive(ka.seconds());
            } else if (op instanceof SetRequest.ReplaceAllowedIps) {
                d.allowedIps().removeAll(peer);
            } else if (op instanceof SetRequest.AllowedIp ai) {
                if (ai.add()) {
                    d.allowedIps().insert(ai.prefix(), peer);
                } else {
                    d.allowedIps().remove(ai.prefix(), peer);
                }
            }
        }
    }

    /** Refuses up front a request that would take the peer count past the limit. */
    private void checkPeerLimit(List<SetRequest.Op> ops) throws UapiException {
        Device d = target.device();
        Set<ByteBuffer> present = new HashSet<>();
        for (Peer p : d.peers()) {
            present.add(ByteBuffer.wrap(p.publicKey()));
        }
        ByteBuffer selected = null;
        boolean created = false;
        for (SetRequest.Op op : ops) {
            if (op instanceof SetRequest.ReplacePeers) {
                present.clear();
            } else if (op instanceof SetRequest.SelectPeer sp) {
                selected = ByteBuffer.wrap(sp.publicKey());
                created = present.add(selected);
                if (created && present.size() > maxPeers) {
                    throw new UapiException(UapiErrno.EINVAL, "failed to create new peer: too many peers (limit " + maxPeers + ")");
                }
            } else if (op instanceof SetRequest.UpdateOnly) {
                if (created) {
                    present.remove(selected);
                }
            } else if (op instanceof SetRequest.Remove) {
                if (selected != null) {
                    present.remove(selected);
                }
            }
        }
    }
}
