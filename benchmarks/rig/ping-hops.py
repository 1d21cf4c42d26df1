#!/usr/bin/env python3
"""Where a ping's round trip goes: reads four nanosecond pcaps taken during one ping run through a
tunnel (A's tunnel interface, A's and B's underlay interfaces, B's tunnel interface) and prints the
median time of each hop: A seals, the underlay, B opens, B's kernel answers, B seals, the underlay
back, A opens.

    ping-hops.py A-TUN.pcap A-UNDERLAY.pcap B-UNDERLAY.pcap B-TUN.pcap A-ADDR B-ADDR [PAYLOAD]
    ping-hops.py --handshake A-TUN.pcap A-UNDERLAY.pcap B-UNDERLAY.pcap B-TUN.pcap A-ADDR B-ADDR [PAYLOAD]

The tunnel captures are matched by ICMP sequence number; the underlay captures by order among the
UDP datagrams of the sealed ping's size (PAYLOAD bytes of UDP payload, 128 for a 56-byte ping),
which are the pings alone (keepalives and handshake messages have other sizes).

With --handshake, each ping is the first after a new peer (the rig's handshake and cold-start pings,
seconds apart): it waits for a handshake, so its round trip is split into the handshake's hops too
(A initiates, B responds, A sends the waiting ping). Each event is the first of its kind after the one
before it, so the pings must be far enough apart for one to end before the next begins.
"""
import statistics
import struct
import sys


def packets(path):
    """(timestamp ns, packet bytes from the IP header on) of a pcap file (Ethernet or raw IP)."""
    with open(path, 'rb') as f:
        data = f.read()
    magic = struct.unpack('<I', data[:4])[0]
    if magic not in (0xa1b23c4d, 0xa1b2c3d4):
        raise SystemExit(f'{path}: not a little-endian pcap file')
    scale = 1 if magic == 0xa1b23c4d else 1000
    linktype = struct.unpack('<I', data[20:24])[0]
    skip = {1: 14, 101: 0, 12: 0, 228: 0, 229: 0}.get(linktype)
    if skip is None:
        raise SystemExit(f'{path}: link type {linktype} not handled')
    out, p = [], 24
    while p + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack('<IIII', data[p:p + 16])
        out.append((sec * 1_000_000_000 + frac * scale, data[p + 16 + skip:p + 16 + incl]))
        p += 16 + incl
    return out


def ipv4(pkt):
    if len(pkt) < 20 or pkt[0] >> 4 != 4:
        return None
    ihl = (pkt[0] & 15) * 4
    return pkt[9], pkt[12:16], pkt[16:20], pkt[ihl:]


def icmp_echoes(path):
    """{(type, seq): ns} for ICMP echo requests (8) and replies (0)."""
    seen = {}
    for ts, pkt in packets(path):
        h = ipv4(pkt)
        if h and h[0] == 1 and len(h[3]) >= 8 and h[3][0] in (0, 8):
            seen.setdefault((h[3][0], struct.unpack('>H', h[3][6:8])[0]), ts)
    return seen


def datagrams(path, src, payload):
    """Timestamps of UDP datagrams from src with the given payload length, in order."""
    out = []
    for ts, pkt in packets(path):
        h = ipv4(pkt)
        if h and h[0] == 17 and h[1] == src and len(h[3]) >= 8 and struct.unpack('>H', h[3][4:6])[0] - 8 == payload:
            out.append(ts)
    return out


def wg_messages(path, src):
    """(ns, message type, UDP payload length) of the WireGuard datagrams from src, in order."""
    out = []
    for ts, pkt in packets(path):
        h = ipv4(pkt)
        if h and h[0] == 17 and h[1] == src and len(h[3]) > 8:
            out.append((ts, h[3][8], struct.unpack('>H', h[3][4:6])[0] - 8))
    return out


def handshake_hops(a_tun, a_und, b_und, b_tun, a_ip, b_ip, payload):
    """Each first ping's path through its handshake, hop by hop, then the medians."""
    def tun_events(path):
        return sorted((ts, h[3][0]) for ts, pkt in packets(path)
                      if (h := ipv4(pkt)) and h[0] == 1 and len(h[3]) >= 8 and h[3][0] in (0, 8))

    def first(events, after, pred):
        return next((e[0] for e in events if e[0] >= after and pred(e)), None)

    at, bt = tun_events(a_tun), tun_events(b_tun)
    a_out, a_in = wg_messages(a_und, a_ip), wg_messages(a_und, b_ip)
    b_in, b_out = wg_messages(b_und, a_ip), wg_messages(b_und, b_ip)
    steps = [('A initiates (ping read -> initiation sent)', a_out, lambda e: e[1] == 1),
             ('underlay A->B (initiation)', b_in, lambda e: e[1] == 1),
             ('B responds (initiation in -> response out)', b_out, lambda e: e[1] == 2),
             ('underlay B->A (response)', a_in, lambda e: e[1] == 2),
             ('A sends the ping (response in -> data out)', a_out, lambda e: e[1] == 4 and e[2] == payload),
             ('underlay A->B (data)', b_in, lambda e: e[1] == 4 and e[2] == payload),
             ('B opens', bt, lambda e: e[1] == 8),
             ('B kernel answers', bt, lambda e: e[1] == 0),
             ('B seals', b_out, lambda e: e[1] == 4 and e[2] == payload),
             ('underlay B->A (data)', a_in, lambda e: e[1] == 4 and e[2] == payload),
             ('A opens', at, lambda e: e[1] == 0)]
    hops = {k: [] for k, _, _ in steps}
    total, n, done_until = [], 0, 0
    for t0, kind in at:
        if kind != 8 or t0 <= done_until:  # a later echo of a ping already followed
            continue
        t, times = t0, []
        for _, events, pred in steps:
            nt = first(events, t, pred)
            if nt is None:
                break
            times.append(nt - t)
            t = nt
        if len(times) != len(steps):
            continue
        n += 1
        print(f'ping {n}: ' + ' '.join(f'{x / 1000:.0f}' for x in times) + f' = {(t - t0) / 1000:.0f} us')
        for (k, _, _), x in zip(steps, times):
            hops[k].append(x)
        total.append(t - t0)
        done_until = t
    if n == 0:
        raise SystemExit('no first ping with its handshake found in the captures')
    print(f'{n} first pings; microseconds: median (min-max)')
    for k, v in list(hops.items()) + [('round trip (A tunnel interface)', total)]:
        v.sort()
        print(f'{k:44s} {statistics.median(v) / 1000:8.1f} ({v[0] / 1000:.1f}-{v[-1] / 1000:.1f})')


def main():
    if sys.argv[1] == '--handshake':
        a_tun, a_und, b_und, b_tun, a_addr, b_addr = sys.argv[2:8]
        payload = int(sys.argv[8]) if len(sys.argv) > 8 else 128
        handshake_hops(a_tun, a_und, b_und, b_tun, bytes(int(x) for x in a_addr.split('.')),
                       bytes(int(x) for x in b_addr.split('.')), payload)
        return
    a_tun, a_und, b_und, b_tun, a_addr, b_addr = sys.argv[1:7]
    payload = int(sys.argv[7]) if len(sys.argv) > 7 else 128
    a_ip = bytes(int(x) for x in a_addr.split('.'))
    b_ip = bytes(int(x) for x in b_addr.split('.'))
    at, bt = icmp_echoes(a_tun), icmp_echoes(b_tun)
    seqs = sorted(s for (t, s) in at if t == 8 and (0, s) in at and (8, s) in bt and (0, s) in bt)
    a_out, a_in = datagrams(a_und, a_ip, payload), datagrams(a_und, b_ip, payload)
    b_in, b_out = datagrams(b_und, a_ip, payload), datagrams(b_und, b_ip, payload)
    n = min(len(seqs), len(a_out), len(a_in), len(b_in), len(b_out))
    if n == 0 or len({len(seqs), len(a_out), len(a_in), len(b_in), len(b_out)}) != 1:
        print(f'warning: {len(seqs)} answered pings, datagrams A out {len(a_out)} in {len(a_in)}, '
              f'B in {len(b_in)} out {len(b_out)}: matching the first {n} by order', file=sys.stderr)
    hops = {k: [] for k in ('A seals', 'underlay A->B', 'B opens', 'B kernel answers', 'B seals',
                            'underlay B->A', 'A opens', 'round trip (A tunnel interface)')}
    for i in range(n):
        s = seqs[i]
        t = [at[(8, s)], a_out[i], b_in[i], bt[(8, s)], bt[(0, s)], b_out[i], a_in[i], at[(0, s)]]
        for k, (x, y) in zip(list(hops)[:7], zip(t, t[1:])):
            hops[k].append(y - x)
        hops['round trip (A tunnel interface)'].append(t[7] - t[0])
    print(f'{n} pings; microseconds: median (p10-p90)')
    for k, v in hops.items():
        v.sort()
        print(f'{k:34s} {statistics.median(v) / 1000:8.1f} ({v[len(v) // 10] / 1000:.1f}-{v[len(v) * 9 // 10] / 1000:.1f})')


if __name__ == '__main__':
    main()
