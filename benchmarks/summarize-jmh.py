#!/usr/bin/env python3
"""Summarizes a run-jmh.sh results directory (jmh-<jdk>.json, openssl.tsv, meta.txt) as Markdown.

Every figure is the median over all measurement iterations (of all forks) with the min-max range
of those iterations as the spread. Cipher throughput is plaintext bytes per second: for sealOpen,
which seals and then opens the same packet, 2 x size bytes pass through the AEAD per operation, so
its MB/s is directly comparable with `openssl speed` (which only encrypts).

usage: summarize-jmh.py RESULTS_DIR
"""
import glob
import json
import os
import statistics
import sys


def fmt(x):
    if x is None:
        return "-"
    if x >= 1000:
        return f"{x:,.0f}"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def iterations(entry):
    raw = entry["primaryMetric"].get("rawData") or []
    values = [v for fork in raw for v in fork]
    return values or [entry["primaryMetric"]["score"]]


def spread(values):
    return statistics.median(values), min(values), max(values)


def short_name(benchmark):
    parts = benchmark.split(".")
    return parts[-2].replace("Benchmark", "") + "." + parts[-1]


def params_text(params):
    return " ".join(f"{k}={v}" for k, v in sorted((params or {}).items(), key=lambda kv: kv[0] != "backend"))


def load(results_dir):
    runs = {}
    for path in sorted(glob.glob(os.path.join(results_dir, "jmh-*.json"))):
        label = os.path.basename(path)[len("jmh-"):-len(".json")]
        with open(path) as f:
            runs[label] = json.load(f)
    openssl = {}
    tsv = os.path.join(results_dir, "openssl.tsv")
    if os.path.exists(tsv):
        with open(tsv) as f:
            for line in f:
                cols = line.split()
                if len(cols) == 3:
                    openssl.setdefault(cols[0], []).append(float(cols[2]))
    return runs, openssl


def order_labels(labels):
    def key(label):
        digits = "".join(c for c in label.split("-")[0] if c.isdigit())
        return (int(digits) if digits else 0, label)
    return sorted(labels, key=key)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    results_dir = sys.argv[1]
    runs, openssl = load(results_dir)
    if not runs:
        sys.exit(f"no jmh-*.json in {results_dir}")
    labels = order_labels(runs)
    meta_path = os.path.join(results_dir, "meta.txt")
    print(f"## JMH results: {os.path.basename(os.path.normpath(results_dir))}\n")
    if os.path.exists(meta_path):
        with open(meta_path) as f:
            for line in f:
                print(f"    {line.rstrip()}")
        print()

    # ---- every benchmark, per JDK ----
    rows = {}
    units = {}
    alloc = {}
    for label in labels:
        for e in runs[label]:
            key = (short_name(e["benchmark"]), params_text(e.get("params")))
            rows.setdefault(key, {})[label] = spread(iterations(e))
            units[key] = e["primaryMetric"]["scoreUnit"]
            norm = (e.get("secondaryMetrics") or {}).get("gc.alloc.rate.norm")
            if norm:
                alloc.setdefault(key, {})[label] = norm["score"]
    header = ["benchmark", "params", "unit"] + [f"{l} median (min–max)" for l in labels]
    if len(labels) > 1:
        header.append(f"{labels[0]} / {labels[-1]}")
    if alloc:
        header += [f"{l} B/op allocated" for l in labels]
    print("### All benchmarks (lower is better)\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for key in sorted(rows):
        cells = [key[0], key[1] or "-", units[key]]
        for label in labels:
            s = rows[key].get(label)
            cells.append(f"{fmt(s[0])} ({fmt(s[1])}–{fmt(s[2])})" if s else "-")
        if len(labels) > 1:
            first, last = rows[key].get(labels[0]), rows[key].get(labels[-1])
            cells.append(f"{first[0] / last[0]:.2f}×" if first and last and last[0] > 0 else "-")
        if alloc:
            for label in labels:
                a = alloc.get(key, {}).get(label)
                cells.append(f"{a:.0f}" if a is not None else "-")
        print("| " + " | ".join(cells) + " |")
    print()

    # ---- cipher throughput against openssl ----
    cipher = {}
    for label in labels:
        for e in runs[label]:
            if not e["benchmark"].endswith(("TransportCipherBenchmark.seal", "TransportCipherBenchmark.open",
                                            "TransportCipherBenchmark.sealOpen", "TransportCipherBenchmark.sealBatch",
                                            "TransportCipherBenchmark.openBatch")):
                continue
            if e["primaryMetric"]["scoreUnit"] != "ns/op":
                continue
            p = e["params"]
            size = int(p["size"])
            method = e["benchmark"].rsplit(".", 1)[1]
            factor = 2 if method == "sealOpen" else 1
            ns = spread(iterations(e))
            # MB/s falls as time rises: the slowest iteration gives the low end
            mbs = tuple(factor * size * 1e3 / t for t in (ns[0], ns[2], ns[1]))
            cipher[(label, p["backend"], size, method)] = mbs
    if cipher:
        print("### ChaCha20-Poly1305 throughput, MB/s of plaintext per core: median (min–max)\n")
        print("sealOpen counts both directions (2 × size bytes per operation); openssl = "
              "`openssl speed -evp chacha20-poly1305 -bytes 1420` in the same run (encryption only).\n")
        methods = ["seal", "open", "sealOpen", "sealBatch", "openBatch"]
        header = ["JDK", "backend", "size"] + methods + ["openssl 1420", "sealOpen / openssl"]
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        backends = sorted({k[1] for k in cipher}, key=lambda b: ["jdk", "bc", "sodium", "openssl"].index(b)
                          if b in ["jdk", "bc", "sodium", "openssl"] else 9)
        sizes = sorted({k[2] for k in cipher})
        for label in labels:
            ossl = openssl.get(label)
            ossl_med = statistics.median(ossl) if ossl else None
            for backend in backends:
                for size in sizes:
                    cells = [label, backend, str(size)]
                    present = False
                    for m in methods:
                        v = cipher.get((label, backend, size, m))
                        present |= v is not None
                        cells.append(f"{fmt(v[0])} ({fmt(v[1])}–{fmt(v[2])})" if v else "-")
                    if not present:
                        continue
                    so = cipher.get((label, backend, size, "sealOpen"))
                    if size == 1420 and ossl_med:
                        cells.append(f"{fmt(ossl_med)} ({fmt(min(ossl))}–{fmt(max(ossl))})")
                        cells.append(f"{so[0] / ossl_med:.2f}×" if so else "-")
                    else:
                        cells += ["", ""]
                    print("| " + " | ".join(cells) + " |")
        print()
        print("Acceptance (issue 6): sealOpen at 1420 B >= 0.8 × openssl.\n")


if __name__ == "__main__":
    main()
