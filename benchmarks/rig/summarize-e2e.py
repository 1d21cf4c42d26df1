#!/usr/bin/env python3
"""Summarizes a bench-e2e.sh results directory (raw.tsv, meta.txt) as Markdown: per test and
metric, the median over rounds with the min-max range, for each implementation, and the
cryptun / wireguard-go ratio of the medians.

usage: summarize-e2e.py RESULTS_DIR
"""
import csv
import os
import statistics
import sys

# (test, metric, label, which direction is better)
METRICS = [
    ("tcp1", "mbps", "TCP 1 stream, Mbit/s", "higher"),
    ("tcp1", "cpu_s_per_gb", "TCP 1 stream, daemon CPU s per GB", "lower"),
    ("tcp1", "cpu_pct", "TCP 1 stream, daemon CPU % of one core", "-"),
    ("tcp4", "mbps", "TCP 4 streams, Mbit/s", "higher"),
    ("tcp4", "cpu_s_per_gb", "TCP 4 streams, daemon CPU s per GB", "lower"),
    ("tcp4", "cpu_pct", "TCP 4 streams, daemon CPU % of one core", "-"),
    ("udp1392", "kpps", "UDP 1392 B -b 0, delivered kpps", "higher"),
    ("udp1392", "mbps", "UDP 1392 B -b 0, delivered Mbit/s", "higher"),
    ("udp1392", "loss_pct", "UDP 1392 B -b 0, loss %", "-"),
    ("udp1392", "cpu_s_per_gb", "UDP 1392 B -b 0, daemon CPU s per GB delivered", "lower"),
    ("udp64", "kpps", "UDP 64 B -b 0, delivered kpps", "higher"),
    ("udp64", "mbps", "UDP 64 B -b 0, delivered Mbit/s", "higher"),
    ("udp64", "loss_pct", "UDP 64 B -b 0, loss %", "-"),
    ("udp64", "cpu_s_per_gb", "UDP 64 B -b 0, daemon CPU s per GB delivered", "lower"),
    ("ping", "rtt_avg_ms", "ping RTT avg, ms", "lower"),
    ("ping", "rtt_max_ms", "ping RTT max, ms", "lower"),
    ("handshake", "first_ping_ms", "first ping incl. handshake, ms", "lower"),
    ("coldstart", "sockets_ms", "cold start: both UAPI sockets up after, ms", "lower"),
    ("coldstart", "configured_ms", "cold start: both configured (wg set) after, ms", "lower"),
    ("coldstart", "first_ping_ms", "cold start: first ping incl. handshake, ms", "lower"),
    ("coldstart", "tcp_s1_mbps", "cold start: TCP second 1, Mbit/s", "higher"),
    ("coldstart", "tcp_s2_mbps", "cold start: TCP second 2, Mbit/s", "higher"),
    ("coldstart", "tcp_first2s_mbps", "cold start: TCP first 2 s, Mbit/s", "higher"),
    ("coldstart", "tcp_last3s_mbps", "cold start: TCP last 3 s, Mbit/s", "higher"),
    ("coldstart", "tcp_first2_over_last3", "cold start: TCP first 2 s / last 3 s", "higher"),
    ("coldstart", "cpu_s_start_to_end", "cold start: daemons' CPU s, start to end of TCP", "lower"),
    ("coldstart", "idle_rss_mb_after", "cold start: idle RSS after the TCP run, MB (larger daemon)", "lower"),
    ("rss", "idle_rss_mb", "idle RSS, 1 peer, MB (larger daemon)", "lower"),
    ("rss", "peak_rss_mb", "peak RSS (VmHWM) after the tests, MB", "lower"),
    ("peers_idle", "idle_rss_mb_before", "RSS before configuring, MB", "lower"),
    ("peers_idle", "idle_rss_mb", "idle RSS with many peers, MB", "lower"),
    ("peers_idle", "peak_rss_mb", "peak RSS with many peers, MB", "lower"),
    ("peers_idle", "setconf_s", "wg setconf of many peers, s", "lower"),
    ("env", "loadavg_1m", "machine load average (1 min) at bring-up", "-"),
]


def fmt(x):
    if x >= 1000:
        return f"{x:,.0f}"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    values = {}
    failures = {}
    impls = []
    with open(os.path.join(out, "raw.tsv")) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            impl = row["impl"]
            if impl not in impls:
                impls.append(impl)
            if row["metric"] == "failed":
                failures[(impl, row["test"])] = failures.get((impl, row["test"]), 0) + 1
                continue
            try:
                v = float(row["value"])
            except ValueError:
                continue
            if v == v:  # not NaN
                values.setdefault((impl, row["test"], row["metric"]), []).append(v)
    base, other = "wireguard-go", "cryptun"
    cols = [i for i in (base, other) if i in impls] + [i for i in impls if i not in (base, other)]

    print(f"## End-to-end: {os.path.basename(os.path.normpath(out))}\n")
    meta = os.path.join(out, "meta.txt")
    if os.path.exists(meta):
        with open(meta) as f:
            for line in f:
                print(f"    {line.rstrip()}")
        print()
    header = ["test", "better"] + [f"{c} median (min–max)" for c in cols]
    ratio = base in cols and other in cols
    if ratio:
        header.append(f"{other} / {base}")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for test, metric, label, better in METRICS:
        if not any((c, test, metric) in values for c in cols):
            continue
        cells = [label, better]
        for c in cols:
            v = values.get((c, test, metric))
            cells.append(f"{fmt(statistics.median(v))} ({fmt(min(v))}–{fmt(max(v))}) n={len(v)}" if v else "-")
        if ratio:
            a, b = values.get((base, test, metric)), values.get((other, test, metric))
            cells.append(f"{statistics.median(b) / statistics.median(a):.2f}" if a and b and statistics.median(a) else "-")
        print("| " + " | ".join(cells) + " |")
    if failures:
        print()
        for (impl, test), n in sorted(failures.items()):
            print(f"- **{impl} {test}: {n} failed attempt(s)** (see the logs in this directory)")
    print()


if __name__ == "__main__":
    main()
