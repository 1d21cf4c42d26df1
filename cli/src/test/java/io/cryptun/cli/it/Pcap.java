package io.cryptun.cli.it;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads a classic pcap file of an Ethernet link (tcpdump -w on a veth) and says what each frame
 * is, as far as the mesh test needs: IPv6 with its addresses, UDP with ports and payload, or
 * ICMPv6 with its type (behind a hop-by-hop header too, as MLD reports come).
 */
final class Pcap {
    private static final int LINKTYPE_ETHERNET = 1;

    /** One captured frame. {@code udpPayload} is null unless it is UDP over IPv6; {@code icmp6Type} is -1 unless ICMPv6. */
    record Frame(byte[] raw, int etherType, byte[] src, byte[] dst, int udpSrcPort, int udpDstPort, byte[] udpPayload,
                 int icmp6Type) {
        boolean isUdp6() {
            return udpPayload != null;
        }
    }

    private Pcap() {
    }

    static List<Frame> read(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file));
        if (b.remaining() < 24) {
            throw new IOException(file + ": no pcap header");
        }
        int magic = b.order(ByteOrder.LITTLE_ENDIAN).getInt(0);
        if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
            b.order(ByteOrder.BIG_ENDIAN);
            magic = b.getInt(0);
            if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
                throw new IOException(file + ": not a pcap file");
            }
        }
        int linkType = b.getInt(20);
        if (linkType != LINKTYPE_ETHERNET) {
            throw new IOException(file + ": link type " + linkType + ", expected Ethernet");
        }
        List<Frame> out = new ArrayList<>();
        int pos = 24;
        while (pos + 16 <= b.limit()) {
            int incl = b.getInt(pos + 8);
            pos += 16;
            if (incl < 0 || pos + incl > b.limit()) {
                throw new IOException(file + ": truncated record");
            }
            out.add(frame(Arrays.copyOfRange(b.array(), pos, pos + incl)));
            pos += incl;
        }
        return out;
    }

    private static int u8(byte[] f, int i) {
        return f[i] & 0xff;
    }

    private static int u16(byte[] f, int i) {
        return (u8(f, i) << 8) | u8(f, i + 1);
    }

    static Frame frame(byte[] f) {
        if (f.length < 14) {
            return new Frame(f, -1, null, null, -1, -1, null, -1);
        }
        int etherType = u16(f, 12);
        if (etherType != 0x86dd || f.length < 54) {
            return new Frame(f, etherType, null, null, -1, -1, null, -1);
        }
        byte[] src = Arrays.copyOfRange(f, 22, 38);
        byte[] dst = Arrays.copyOfRange(f, 38, 54);
        int next = u8(f, 20);
        int off = 54;
        // hop-by-hop options (MLD reports carry a router alert)
        while (next == 0 && off + 8 <= f.length) {
            int len = (u8(f, off + 1) + 1) * 8;
            next = u8(f, off);
            off += len;
        }
        if (next == 17 && off + 8 <= f.length) {
            return new Frame(f, etherType, src, dst, u16(f, off), u16(f, off + 2), Arrays.copyOfRange(f, off + 8, f.length), -1);
        }
        if (next == 58 && off + 1 <= f.length) {
            return new Frame(f, etherType, src, dst, -1, -1, null, u8(f, off));
        }
        return new Frame(f, etherType, src, dst, -1, -1, null, -1);
    }

    /**
     * The WireGuard message type of a UDP payload (1 initiation, 2 response, 3 cookie reply,
     * 4 transport data), or -1 when the payload is not shaped like one: type byte, three zero
     * bytes, and the fixed or padded length of that type.
     */
    static int wireGuardType(byte[] p) {
        if (p.length < 4 || p[1] != 0 || p[2] != 0 || p[3] != 0) {
            return -1;
        }
        int type = p[0];
        boolean ok = switch (type) {
            case 1 -> p.length == 148;
            case 2 -> p.length == 92;
            case 3 -> p.length == 64;
            // header 16 + ciphertext padded to 16 + tag 16; keepalives are 32
            case 4 -> p.length >= 32 && (p.length - 32) % 16 == 0;
            default -> false;
        };
        return ok ? type : -1;
    }

    /** True when {@code needle} occurs anywhere in {@code hay}. */
    static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
