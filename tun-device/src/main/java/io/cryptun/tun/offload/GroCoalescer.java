package io.cryptun.tun.offload;

import static io.cryptun.tun.offload.BigEndian.putU16;
import static io.cryptun.tun.offload.BigEndian.u16;
import static io.cryptun.tun.offload.BigEndian.u32;
import static io.cryptun.tun.offload.GroClassifier.KIND_NONE;
import static io.cryptun.tun.offload.GroClassifier.KIND_TCP4;
import static io.cryptun.tun.offload.GroClassifier.KIND_TCP6;
import static io.cryptun.tun.offload.GroClassifier.KIND_UDP4;
import static io.cryptun.tun.offload.GroClassifier.TCP_PSH;
import static io.cryptun.tun.offload.InternetChecksum.PROTO_TCP;
import static io.cryptun.tun.offload.InternetChecksum.PROTO_UDP;

import java.io.IOException;
import java.util.Arrays;
import java.util.Objects;

/**
 * Merges a batch of IP packets bound for a TUN device with {@code IFF_VNET_HDR} into as few writes as possible (the
 * writer's half of TSO/USO, after wireguard-go's {@code handleGRO}): consecutive TCP segments of one connection become
 * one super-packet of up to 64 KiB that the kernel takes in one write and treats like a GRO packet.
 *
 * <p>A TCP packet joins the latest super-packet of its flow (same IP version, addresses and ports) when
 * <ul>
 *   <li>both have no IPv4 options, are not fragments, and have equal IPv4 TOS, DF bit and TTL, or equal IPv6
 *       version/traffic class/flow label and hop limit (no extension headers);</li>
 *   <li>its only TCP flags are ACK or ACK|PSH, and the super-packet has no PSH yet (PSH ends a super-packet);</li>
 *   <li>its TCP header equals the first segment's apart from sequence number, flags and checksum: same length, ACK
 *       number, window, urgent pointer and options (timestamps...);</li>
 *   <li>its sequence number follows the super-packet's last byte, and its payload is not larger than the first
 *       segment's ({@code gso_size}); a smaller segment ends the super-packet;</li>
 *   <li>the result stays within 65535 bytes and {@link #MAX_SEGMENTS} segments;</li>
 *   <li>both its TCP checksum and the first segment's are valid: the kernel recomputes the checksum of a merged
 *       packet, so merging a corrupt segment would hide the corruption.</li>
 * </ul>
 * With UDP GRO enabled (only when the device accepted {@code TUN_F_USO4|TUN_F_USO6}), UDP datagrams of one flow with
 * equal IP headers are merged likewise into {@code GSO_UDP_L4} packets (every datagram as large as the first,
 * except a smaller last one; zero checksums are never merged).
 *
 * <p>Order within a flow is preserved: a packet only ever joins the flow's <em>latest</em> super-packet, and any
 * packet of the flow that does not join (a pure ACK, a SYN/FIN/RST, a gap in sequence numbers, a bad checksum) ends
 * it. Writes come out in the order of their first packet. (wireguard-go also prepends out-of-order segments; this
 * class does not, by design.) Non-first IPv4/IPv6 fragments carry no ports and are written as they are.
 *
 * <p>A merged packet gets a virtio-net header {@code GSO_TCPV4}/{@code GSO_TCPV6}/{@code GSO_UDP_L4} with
 * {@code NEEDS_CSUM}, {@code csum_start} = IP header length, {@code csum_offset} = 16 (TCP) or 6 (UDP), and its
 * transport checksum field set to the pseudo-header sum as the kernel expects for a partial checksum; its IPv4 total
 * length and header checksum (or IPv6 payload length) and UDP length are rewritten. Every other packet is written
 * unchanged after an all-zero header ({@code GSO_NONE}).
 *
 * <p>Use: {@link #add} the packets of one burst (they are not copied: each must stay unchanged until {@link #flush}
 * returns), then {@link #flush} them to the device. A packet written unmerged that starts at least 10 bytes into its
 * array gets its virtio-net header written into those 10 bytes before it (no copy; give every packet that much
 * headroom, e.g. the space of the WireGuard header, and let no not-yet-written packet lie there); other packets and
 * all merged ones are assembled in a 64 KiB buffer owned by the instance. Nothing is allocated per packet. One
 * instance per writing thread; not thread-safe.
 */
public final class GroCoalescer {

    /** Receives the writes: each starts with the 10-byte virtio-net header. */
    @FunctionalInterface
    public interface TunWriter {
        void write(byte[] buf, int off, int len) throws IOException;
    }

    /**
     * Most segments merged into one write. The kernel rejects UDP super-packets of more than 64 segments
     * ({@code UDP_MAX_SEGMENTS} before 6.11); TCP uses the same bound, which 64 KiB of MTU-sized segments never hits.
     */
    public static final int MAX_SEGMENTS = 64;
    /** Largest IP packet written (the IPv4 total length field; also applied to IPv6). */
    public static final int MAX_PACKET = 65535;
    /** The batch size wireguard-go uses. */
    public static final int DEFAULT_MAX_PACKETS = 128;


    private static final byte OPEN = 1;      // later packets of the flow may still join
    private static final byte VERIFIED = 2;  // the first packet's transport checksum was checked and is valid
    private static final byte PSH = 4;       // a joined packet had PSH: set it on the super-packet

    private final int capacity;

    private final byte[][] pktBuf;
    private final int[] pktOff;
    private final int[] pktLen;
    private final int[] pktNext;
    private int packets;

    private final int[] itemHead;
    private final int[] itemTail;
    private final int[] itemCount;
    private final int[] itemPayload;
    private final int[] itemGsoSize;
    private final int[] itemNextSeq;
    private final int[] itemL4;
    private final int[] itemHdrLen;
    private final byte[] itemKind;
    private final byte[] itemState;
    private int items;

    private final FlowTable flows;
    private final FlowTable.Matcher matcher = this::sameFlow;
    private final byte[] scratch = new byte[VirtioNetHeader.SIZE + MAX_PACKET];
    private final VirtioNetHeader header = new VirtioNetHeader();

    /** What it found out about the packet being added. */
    private final GroClassifier seen;

    private long merged;
    private long superPackets;
    private long checksumFailures;
    private long dropped;

    /** A coalescer for batches of up to {@link #DEFAULT_MAX_PACKETS} packets, TCP only. */
    public GroCoalescer() {
        this(DEFAULT_MAX_PACKETS, false);
    }

    /**
     * @param maxPackets most packets per batch (1..65535)
     * @param udpGro     also merge UDP datagrams into {@code GSO_UDP_L4} writes; only if the device accepted
     *                   {@code TUN_F_USO4|TUN_F_USO6} (kernel 6.2+), older kernels reject such writes
     */
    public GroCoalescer(int maxPackets, boolean udpGro) {
        if (maxPackets < 1 || maxPackets > 65535) {
            throw new IllegalArgumentException("maxPackets must be 1..65535: " + maxPackets);
        }
        this.capacity = maxPackets;
        this.seen = new GroClassifier(udpGro);
        pktBuf = new byte[maxPackets][];
        pktOff = new int[maxPackets];
        pktLen = new int[maxPackets];
        pktNext = new int[maxPackets];
        itemHead = new int[maxPackets];
        itemTail = new int[maxPackets];
        itemCount = new int[maxPackets];
        itemPayload = new int[maxPackets];
        itemGsoSize = new int[maxPackets];
        itemNextSeq = new int[maxPackets];
        itemL4 = new int[maxPackets];
        itemHdrLen = new int[maxPackets];
        itemKind = new byte[maxPackets];
        itemState = new byte[maxPackets];
        flows = new FlowTable(maxPackets);
    }

    /**
     * Adds one IP packet to the batch. The packet is referenced, not copied, until {@link #flush} returns. An empty
     * packet is dropped (and counted).
     *
     * @return false if the batch is full (flush, then add again); true otherwise
     * @throws IndexOutOfBoundsException if {@code off}/{@code len} lie outside {@code buf}
     */
    public boolean add(byte[] buf, int off, int len) {
        Objects.checkFromIndexSize(off, len, buf.length);
        if (packets == capacity) {
            return false;
        }
        if (len == 0) {
            dropped++;
            return true;
        }
        int idx = packets++;
        pktBuf[idx] = buf;
        pktOff[idx] = off;
        pktLen[idx] = len;
        pktNext[idx] = -1;
        if (!seen.classify(buf, off, len)) {
            newItem(idx, KIND_NONE, false);
            return true;
        }
        int slot = flows.find(seen.hash, idx, matcher);
        int latest = flows.itemAt(slot);
        if (latest >= 0 && seen.mergeable && tryJoin(latest, idx)) {
            return true;
        }
        flows.set(slot, seen.hash, newItem(idx, seen.kind, seen.mergeable));
        return true;
    }

    /** Packets added since the last flush. */
    public int size() {
        return packets;
    }

    /** Most packets per batch. */
    public int capacity() {
        return capacity;
    }

    /**
     * Writes the batch, one call of {@code writer} per resulting packet, in order, and empties the batch (also when
     * the writer throws; the rest of the batch is then dropped).
     *
     * @return the number of writes made
     * @throws IOException what the writer threw
     */
    public int flush(TunWriter writer) throws IOException {
        int writes = 0;
        try {
            for (int item = 0; item < items; item++) {
                if (itemCount[item] == 1) {
                    if (writeSingle(itemHead[item], writer)) {
                        writes++;
                    }
                } else {
                    writeMerged(item, writer);
                    writes++;
                }
            }
        } finally {
            clear();
        }
        return writes;
    }

    /** Empties the batch without writing it. */
    public void clear() {
        flows.clear();
        Arrays.fill(pktBuf, 0, packets, null);
        packets = 0;
        items = 0;
    }

    /** Packets that were merged into a preceding packet of their flow (so: writes saved), since creation. */
    public long mergedPackets() {
        return merged;
    }

    /** Writes that carried more than one packet, since creation. */
    public long superPackets() {
        return superPackets;
    }

    /** Packets not merged because their transport checksum (or their first segment's) was wrong. */
    public long checksumFailures() {
        return checksumFailures;
    }

    /** Packets dropped: empty ones, and ones larger than 65535 bytes without 10 bytes of headroom. */
    public long droppedPackets() {
        return dropped;
    }

    // ---------------------------------------------------------------- flows

    private boolean sameFlow(int item, int packet) {
        byte kind = itemKind[item];
        if (kind != seen.kind) {
            return false;
        }
        int h = itemHead[item];
        byte[] a = pktBuf[h];
        int ao = pktOff[h];
        byte[] b = pktBuf[packet];
        int bo = pktOff[packet];
        boolean v4 = kind == KIND_TCP4 || kind == KIND_UDP4;
        int addrOff = v4 ? 12 : 8;
        int addrLen = v4 ? 8 : 32;
        return Arrays.equals(a, ao + addrOff, ao + addrOff + addrLen, b, bo + addrOff, bo + addrOff + addrLen)
                && u32(a, ao + itemL4[item]) == u32(b, bo + seen.l4);
    }

    private int newItem(int packet, byte kind, boolean mergeable) {
        int item = items++;
        itemHead[item] = packet;
        itemTail[item] = packet;
        itemCount[item] = 1;
        itemKind[item] = kind;
        itemL4[item] = seen.l4;
        itemHdrLen[item] = seen.l4 + seen.thLen;
        itemPayload[item] = seen.payload;
        itemGsoSize[item] = seen.payload;
        itemNextSeq[item] = seen.seq + seen.payload;
        itemState[item] = mergeable && !seen.psh ? OPEN : 0;
        return item;
    }

    // ---------------------------------------------------------------- merging

    private boolean tryJoin(int item, int packet) {
        if ((itemState[item] & OPEN) == 0) {
            return false;
        }
        boolean tcp = seen.kind == KIND_TCP4 || seen.kind == KIND_TCP6;
        int head = itemHead[item];
        byte[] hb = pktBuf[head];
        int ho = pktOff[head];
        byte[] b = pktBuf[packet];
        int o = pktOff[packet];
        int l4 = seen.l4;
        if (itemL4[item] != l4 || itemHdrLen[item] != l4 + seen.thLen || !ipHeadersMatch(hb, ho, b, o)) {
            return false;
        }
        if (tcp) {
            if (seen.seq != itemNextSeq[item]) {
                return false;
            }
            // ACK number, data offset/reserved bits, window, urgent pointer and options must all be equal.
            if (!Arrays.equals(hb, ho + l4 + 8, ho + l4 + 13, b, o + l4 + 8, o + l4 + 13)
                    || !Arrays.equals(hb, ho + l4 + 14, ho + l4 + 16, b, o + l4 + 14, o + l4 + 16)
                    || !Arrays.equals(hb, ho + l4 + 18, ho + l4 + seen.thLen, b, o + l4 + 18, o + l4 + seen.thLen)) {
                return false;
            }
        }
        int gsoSize = itemGsoSize[item];
        if (seen.payload > gsoSize || itemCount[item] >= MAX_SEGMENTS
                || itemHdrLen[item] + itemPayload[item] + seen.payload > MAX_PACKET) {
            return false;
        }
        if ((itemState[item] & VERIFIED) == 0) {
            if (!checksumValid(hb, ho, pktLen[head], l4, tcp)) {
                checksumFailures++;
                itemState[item] &= ~OPEN;
                return false;
            }
            itemState[item] |= VERIFIED;
        }
        if (!checksumValid(b, o, pktLen[packet], l4, tcp)) {
            checksumFailures++;
            seen.mergeable = false; // its own item must not take others either
            return false;
        }
        pktNext[itemTail[item]] = packet;
        itemTail[item] = packet;
        itemCount[item]++;
        itemPayload[item] += seen.payload;
        itemNextSeq[item] += seen.payload;
        if (seen.payload < gsoSize) {
            itemState[item] &= ~OPEN;
        }
        if (seen.psh) {
            itemState[item] &= ~OPEN;
            itemState[item] |= PSH;
        }
        merged++;
        return true;
    }

    /** IPv4: TOS, DF/reserved bits and TTL; IPv6: version, traffic class, flow label and hop limit. */
    private static boolean ipHeadersMatch(byte[] a, int ao, byte[] b, int bo) {
        if ((a[ao] & 0xf0) == 0x40) {
            return a[ao + 1] == b[bo + 1] && (a[ao + 6] & 0xe0) == (b[bo + 6] & 0xe0) && a[ao + 8] == b[bo + 8];
        }
        return u32(a, ao) == u32(b, bo) && a[ao + 7] == b[bo + 7];
    }

    private static boolean checksumValid(byte[] b, int o, int n, int l4, boolean tcp) {
        boolean v4 = (b[o] & 0xf0) == 0x40;
        long sum = InternetChecksum.pseudoHeader(b, o + (v4 ? 12 : 8), v4 ? 4 : 16, tcp ? PROTO_TCP : PROTO_UDP,
                n - l4);
        return InternetChecksum.fold(InternetChecksum.add(sum, b, o + l4, n - l4)) == 0xffff;
    }

    // ---------------------------------------------------------------- writing

    private boolean writeSingle(int packet, TunWriter writer) throws IOException {
        byte[] b = pktBuf[packet];
        int off = pktOff[packet];
        int len = pktLen[packet];
        if (off >= VirtioNetHeader.SIZE) {
            VirtioNetHeader.writeNone(b, off - VirtioNetHeader.SIZE);
            writer.write(b, off - VirtioNetHeader.SIZE, len + VirtioNetHeader.SIZE);
            return true;
        }
        if (len > MAX_PACKET) {
            dropped++;
            return false;
        }
        VirtioNetHeader.writeNone(scratch, 0);
        System.arraycopy(b, off, scratch, VirtioNetHeader.SIZE, len);
        writer.write(scratch, 0, len + VirtioNetHeader.SIZE);
        return true;
    }

    private void writeMerged(int item, TunWriter writer) throws IOException {
        byte[] s = scratch;
        int q = VirtioNetHeader.SIZE;
        int head = itemHead[item];
        int hdrLen = itemHdrLen[item];
        int l4 = itemL4[item];
        System.arraycopy(pktBuf[head], pktOff[head], s, q, hdrLen);
        int at = q + hdrLen;
        for (int p = head; p >= 0; p = pktNext[p]) {
            int payload = pktLen[p] - hdrLen;
            System.arraycopy(pktBuf[p], pktOff[p] + hdrLen, s, at, payload);
            at += payload;
        }
        int total = at - q;
        byte kind = itemKind[item];
        boolean v4 = kind == KIND_TCP4 || kind == KIND_UDP4;
        boolean tcp = kind == KIND_TCP4 || kind == KIND_TCP6;
        if (v4) {
            putU16(s, q + 2, total);
            InternetChecksum.setIpv4HeaderChecksum(s, q, l4);
        } else {
            putU16(s, q + 4, total - 40);
        }
        int t = q + l4;
        int csumOffset;
        if (tcp) {
            if ((itemState[item] & PSH) != 0) {
                s[t + 13] |= TCP_PSH;
            }
            csumOffset = 16;
        } else {
            putU16(s, t + 4, total - l4);
            csumOffset = 6;
        }
        long pseudo = InternetChecksum.pseudoHeader(s, q + (v4 ? 12 : 8), v4 ? 4 : 16, tcp ? PROTO_TCP : PROTO_UDP,
                total - l4);
        putU16(s, t + csumOffset, InternetChecksum.fold(pseudo));
        header.clear()
                .flags(VirtioNetHeader.FLAG_NEEDS_CSUM)
                .gsoType(tcp ? (v4 ? VirtioNetHeader.GSO_TCPV4 : VirtioNetHeader.GSO_TCPV6) : VirtioNetHeader.GSO_UDP_L4)
                .hdrLen(hdrLen)
                .gsoSize(itemGsoSize[item])
                .csumStart(l4)
                .csumOffset(csumOffset)
                .writeTo(s, 0);
        superPackets++;
        writer.write(s, 0, VirtioNetHeader.SIZE + total);
    }
}
