#!/usr/bin/env python3
"""Summaries of mesh-scale runs (results.json written by rig.py).

    summarize.py RESULTS_DIR            the one-screen summary of a run (as rig.py prints it)
    summarize.py --clients RESULTS_DIR  per-client convergence table
    summarize.py --table DIR...         one markdown row per run, for comparing runs
"""
import json
import os
import statistics
import sys

sys.dont_write_bytecode = True


def nums(values):
    return [v for v in values if isinstance(v, (int, float)) and v == v]


def st(values, fmt="%.2f"):
    v = nums(values)
    if not v:
        return "n/a"
    if len(v) == 1:
        return fmt % v[0]
    return ("med " + fmt + "  max " + fmt + "  min " + fmt) % (statistics.median(v), max(v), min(v))


def med(values):
    v = nums(values)
    return statistics.median(v) if v else None


def mx(values):
    v = nums(values)
    return max(v) if v else None


def f(v, fmt="%.2f"):
    return "n/a" if v is None else fmt % v


def jdk_text(meta):
    j = meta.get("jdk") or {}
    if not j:
        return "?"
    return "%s %s" % (j.get("implementor", ""), j.get("java_runtime_version") or j.get("java_version", "?"))


def thread_means(nodes, key):
    """Mean CPU-s per node by thread group (cryptun) from per-node dicts."""
    acc = {}
    for rec in nodes:
        for k, v in (rec.get(key) or {}).items():
            acc[k] = acc.get(k, 0.0) + (v if isinstance(v, (int, float)) else v.get("cpu_s_per_min", 0.0))
    n = max(1, len(nodes))
    return sorted(((k, v / n) for k, v in acc.items()), key=lambda kv: -kv[1])


def is_jit(name):
    return "Compiler" in name or name.startswith("C1 ") or name.startswith("C2 ")


def summary(r):
    m = r.get("meta", {})
    nodes = r.get("nodes", {})
    recs = list(nodes.values())
    clients = [x for x in recs if x.get("role") == "client"]
    ph = r.get("phases", {})
    out = []
    n = m.get("nodes", len(recs))
    out.append("mesh-scale: %d nodes (grid %s wide, %s links, diameter %s hops), %d gateways, bmx7 %s%s, start %s%s" % (
        n, m.get("width"), m.get("edges"), m.get("diameter"), m.get("gateways", 0),
        "real" if m.get("mode") == "bmx7" else "STAND-IN",
        "" if m.get("ip6_tunnel", True) else " (ip6tnl shim)", m.get("start"),
        " every %.0f s" % m["stagger_gap"] if m.get("stagger_gap") else ""))
    out.append("cryptun %s (%s) on %s; %d CPUs; load before %s" % (
        m.get("git"), (m.get("git_subject") or "")[:60], jdk_text(m), m.get("cpus", 0), " ".join(m.get("loadavg_before", []))))
    if r.get("error"):
        out.append("RUN FAILED: " + r["error"])
    sw = ph.get("startup_window", {})
    out.append("")
    out.append("                          cryptun (per node)              bmx7 (per node)")
    c60 = [(x.get("cpu60") or {}).get("cryptun") for x in recs if not x.get("startup_jfr")]
    b60 = [(x.get("cpu60") or {}).get("bmx7") for x in recs]
    out.append("start-up CPU-s, 1st %ss  %-31s %s" % (m.get("startup_seconds", 60), st(c60), st(b60)))
    th = thread_means([x for x in recs if not x.get("startup_jfr")], "cpu60_cryptun_threads")
    jit = sum(v for k, v in th if is_jit(k))
    tot = sum(v for _, v in th)
    out.append("  cryptun by thread (mean CPU-s/node): JIT %.2f (%.0f%%), rest %.2f: %s" % (
        jit, 100 * jit / tot if tot else 0, tot - jit, ", ".join("%s %.2f" % kv for kv in th[:6])))
    if sw:
        out.append("  machine during start-up: busy %.2f of %d cores (peak %.2f, %d s saturated), cryptun %.2f, bmx7 %.2f, "
                   "stand-in %.2f, rig %.2f, others %.2f; loadavg max %.2f; rig's longest pause %ss" % (
                       sw.get("machine_busy_cores", 0), m.get("cpus", 0), sw.get("peak_busy_cores_1s", 0),
                       sw.get("seconds_saturated", 0), sw.get("cryptun_cores", 0), sw.get("bmx7_cores", 0),
                       sw.get("standin_cores", 0), sw.get("rig_cores", 0), sw.get("other_cores", 0), sw.get("loadavg_max", 0),
                       sw.get("rig_max_sample_gap_s", "?")))
    ic = [x.get("idle_cryptun_cpu_s_per_min") for x in recs]
    ib = [x.get("idle_bmx7_cpu_s_per_min") for x in recs]
    idle = ph.get("idle", {})
    out.append("idle CPU-s per minute    %-31s %s" % (st(ic, "%.3f"), st(ib, "%.3f")))
    out.append("idle wake-ups per minute %-31s %s" % (st([x.get("idle_cryptun_wakeups_per_min") for x in recs], "%.0f"),
                                                     st([x.get("idle_bmx7_wakeups_per_min") for x in recs], "%.0f")))
    ith = thread_means(recs, "idle_cryptun_threads")
    out.append("  cryptun idle by thread (mean CPU-s/min/node): " + ", ".join("%s %.3f" % kv for kv in ith[:6]))
    if idle:
        out.append("  machine during idle (%.0f s): busy %.2f cores: mesh daemons %.2f, rig %.2f, others %.2f; load %s -> %s" % (
            idle.get("seconds", 0), idle.get("machine_busy_cores", 0), idle.get("mesh_daemons_cores", 0),
            idle.get("rig_cores", 0), idle.get("other_cores", 0), " ".join(idle.get("loadavg_start", [])),
            " ".join(idle.get("loadavg_end", []))))
        if idle.get("standin_cpu_s_per_min") is not None:
            out.append("  stand-in (all %d nodes in one JVM): %.3f CPU-s/min" % (n, idle["standin_cpu_s_per_min"]))
    wins = r.get("idle_windows") or []
    if len(wins) > 1:
        parts = []
        for w in wins:
            wn = list(w["nodes"].values())
            c2 = med([sum(v["cpu_s_per_min"] for k, v in (x.get("idle_cryptun_threads") or {}).items() if is_jit(k)) for x in wn])
            parts.append("@%.0fs cryptun %s (JIT %s) bmx7 %s" % (
                w["machine"].get("started_at", 0), f(med([x.get("idle_cryptun_cpu_s_per_min") for x in wn]), "%.3f"),
                f(c2, "%.3f"), f(med([x.get("idle_bmx7_cpu_s_per_min") for x in wn]), "%.3f")))
        out.append("  idle windows (median CPU-s/min): " + "; ".join(parts))
    out.append("RSS MB (idle)            %-31s %s" % (st([x.get("rss_cryptun_mb") for x in recs], "%.1f"),
                                                     st([x.get("rss_bmx7_mb") for x in recs], "%.1f")))
    out.append("")
    conv = ph.get("convergence", {})
    out.append("convergence (%s; %.0f s): clients through to every gateway address, s" % (
        "all converged" if conv.get("converged") else "NOT CONVERGED", conv.get("seconds", 0)))
    out.append("  from the client's start        %s" % st([x.get("through_all") for x in clients]))
    out.append("  after last gateway record there %s" % st([x.get("after_last_gw_record") for x in clients]))
    out.append("  after last input (records both ways, offer, path) %s" % st([x.get("after_last_input") for x in clients]))
    slow = sorted((x for x in clients if x.get("through_all") is not None), key=lambda x: -x["through_all"])[:3]
    names = {id(v): k for k, v in nodes.items()}
    if slow:
        out.append("  slowest: " + "; ".join("%s %.1f s (%s hops to gateways, +%s after last input)" % (
            names[id(x)], x["through_all"], "/".join(str(v) for v in x.get("hops_to_gateways", {}).values()),
            f(x.get("after_last_input"), "%.1f")) for x in slow))
    missing = [names[id(x)] for x in clients if x.get("through_all") is None]
    if missing:
        out.append("  never through: " + " ".join(missing))
    out.append("  every node with all %d peers: %s s; bmx7 originators all known: %s s; all records: %s s (max over nodes)" % (
        n - 1, f(mx([x.get("peers_full_at") for x in recs]), "%.1f"), f(mx([x.get("originators_all_at") for x in recs]), "%.1f"),
        f(mx([x.get("records_all_at") for x in recs]), "%.1f")))
    if r.get("ping_check_failures"):
        out.append("  ping -c1 -W1 check FAILED for: " + " ".join(r["ping_check_failures"][:10]))
    si = r.get("sessions_idle") or {}
    sp = r.get("sessions_after_pings") or {}
    if si:
        out.append("sessions: %d pairs after the pings, %d idle (%d handshaked < 180 s) of %d pairs; pairs with traffic %d; kinds %s" % (
            sp.get("pairs", 0), si.get("pairs", 0), si.get("recent_pairs", 0), si.get("all_pairs", 0),
            si.get("traffic_pairs", 0), si.get("kinds")))
        out.append("  peers configured per node %s; peers with packets while idle per node %s" % (
            st(list(si.get("peers_per_node", {}).values()), "%.0f"),
            st([len(x.get("idle_peers_with_traffic") or []) for x in recs], "%.0f")))
    lg = r.get("logs", {})
    for which in ("cryptun", "bmx7"):
        items = lg.get(which, [])
        counts = []
        for phase in ("start", "run", "stop", "?"):
            e = sum(i["count"] for i in items if i["pattern"].startswith("ERROR [%s]" % phase))
            w = sum(i["count"] for i in items if i["pattern"].startswith("WARN [%s]" % phase))
            if e or w or phase in ("start", "run"):
                counts.append("%s %d/%d" % (phase, e, w))
        out.append("%s log ERROR/WARN lines: %s%s" % (which, ", ".join(counts), "; not at stop:" if items else ""))
        shown = [i for i in items if "[stop]" not in i["pattern"]]
        for i in shown[:4 if which == "bmx7" else 6]:
            out.append("  %4d x %s" % (i["count"], i["example"][:150]))
    # the project's targets (docs: the mesh-scale brief); a verdict only where the run measured it
    tg = []
    ci, bi = med(ic), med(ib)
    if ci is not None and bi is not None:
        tg.append("idle cryptun <= bmx7: %s (%.3f vs %.3f CPU-s/min)" % ("met" if ci <= bi else "MISSED", ci, bi))
    cmax = mx(c60)
    if cmax is not None:
        tg.append("start-up <= 1 CPU-s: %s (max %.2f)" % ("met" if cmax <= 1.0 else "MISSED", cmax))
    al = mx([x.get("after_last_gw_record") for x in clients])
    if al is not None and clients:
        ok = all(x.get("after_last_gw_record") is not None and x["after_last_gw_record"] <= 10 for x in clients)
        tg.append("every client <= 10 s after its last record: %s (max %.1f s)" % ("met" if ok else "MISSED", al))
    if si:
        tg.append("sessions only where traffic goes: %s (%d idle vs %d client-gateway pairs)" % (
            "met" if si.get("pairs", 0) <= si.get("traffic_pairs", 0) else "MISSED", si.get("pairs", 0), si.get("traffic_pairs", 0)))
    if tg:
        out.append("targets: " + "; ".join(tg))
    for ns, p in (r.get("startup_profile") or {}).items():
        out.append("start-up JFR %s: %d samples; by thread %s; inclusive %s" % (
            ns, p.get("samples", 0), dict(list(p.get("by_thread", {}).items())[:4]),
            ", ".join("%s %d" % kv for kv in list(p.get("inclusive_cryptun_methods", {}).items())[:8])))
    prof = r.get("profile") or {}
    for ns, p in prof.items():
        j = p.get("jfr_samples") or {}
        if j:
            out.append("profile %s (JFR): %d Java execution samples; by thread %s; top %s" % (
                ns, j.get("samples", 0), j.get("by_thread"), ", ".join("%s %d" % kv for kv in list(j.get("by_frame", {}).items())[:3])))
        s = p.get("strace") or {}
        if s:
            out.append("profile %s (%ss strace): %d syscalls; top %s; files %d opens/stats" % (
                ns, s.get("seconds"), sum(s.get("syscalls", {}).values()),
                ", ".join("%s %d" % kv for kv in list(s.get("syscalls", {}).items())[:4]),
                sum(s.get("files", {}).values())))
    if r.get("stuck_on_sigterm"):
        out.append("did not stop on SIGTERM (killed): %s" % r["stuck_on_sigterm"])
    return "\n".join(out)


INPUTS = ("gw_record_at_client", "client_record_at_gw", "gw_offer_at_client", "gw_originator_at_client")


def clients_table(r):
    """Per client: when it was through, and the steps before, for the gateway whose input came last."""
    rows = ["| client | hops to gws | through s after t0 | last input s (which, gateway) | client routes gw net (log) | gw has client peer (log) "
            "| 1st handshake | after last gw record | after last input |",
            "|---|---|---|---|---|---|---|---|---|"]
    for name, x in sorted(r.get("nodes", {}).items()):
        if x.get("role") != "client":
            continue
        inputs = x.get("inputs", {})
        last = None
        for gw, v in inputs.items():
            for k in INPUTS:
                if v.get(k) is not None and (last is None or v[k] > last[0]):
                    last = (v[k], k.replace("_at_client", "").replace("_at_gw", "@gw"), gw)
        lg = inputs.get(last[2], {}) if last else {}
        rows.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            name, "/".join(str(v) for v in x.get("hops_to_gateways", {}).values()),
            f(None if x.get("through_all") is None else x["through_all"] + x.get("started_at", 0), "%.1f"),
            "%.1f (%s, %s)" % last if last else "n/a", f(lg.get("gw_net_routed_by_client_log"), "%.1f"),
            f(lg.get("client_peer_at_gw_log"), "%.1f"), f(lg.get("first_handshake"), "%.1f"),
            f(x.get("after_last_gw_record"), "%.1f"), f(x.get("after_last_input"), "%.1f")))
    return "\n".join(rows) + "\n(seconds after t0 (the first start); 'through' = every gateway address answered; log times have 1 s resolution)"


def table(dirs):
    rows = ["| run | N/G | start | JDK | load (before; idle) | others' cores idle | cryptun start-up CPU-s med/max | "
            "JIT share | bmx7 start-up CPU-s med/max | cryptun idle CPU-s/min med/max | bmx7 idle CPU-s/min med/max | "
            "RSS MB cryptun/bmx7 | through s max (after last input: med/max) | all peers s | sessions idle / pairs |",
            "|" + "---|" * 15]
    for d in dirs:
        with open(os.path.join(d, "results.json")) as fh:
            r = json.load(fh)
        m = r["meta"]
        recs = list(r.get("nodes", {}).values())
        cl = [x for x in recs if x.get("role") == "client"]
        idle = r.get("phases", {}).get("idle", {})
        th = thread_means(recs, "cpu60_cryptun_threads")
        tot = sum(v for _, v in th)
        jit = sum(v for k, v in th if is_jit(k))
        si = r.get("sessions_idle") or {}
        rows.append("| %s | %d/%d | %s | %s | %s; %s | %s | %s / %s | %s | %s / %s | %s / %s | %s / %s | %s / %s | %s (%s / %s) | %s | %s / %s |" % (
            os.path.basename(d.rstrip("/")), m["nodes"], m["gateways"], m["start"], jdk_text(m),
            m.get("loadavg_before", ["?"])[0], (idle.get("loadavg_start") or ["?"])[0], f(idle.get("other_cores")),
            f(med([(x.get("cpu60") or {}).get("cryptun") for x in recs])), f(mx([(x.get("cpu60") or {}).get("cryptun") for x in recs])),
            "%.0f%%" % (100 * jit / tot) if tot else "n/a",
            f(med([(x.get("cpu60") or {}).get("bmx7") for x in recs])), f(mx([(x.get("cpu60") or {}).get("bmx7") for x in recs])),
            f(med([x.get("idle_cryptun_cpu_s_per_min") for x in recs]), "%.3f"), f(mx([x.get("idle_cryptun_cpu_s_per_min") for x in recs]), "%.3f"),
            f(med([x.get("idle_bmx7_cpu_s_per_min") for x in recs]), "%.3f"), f(mx([x.get("idle_bmx7_cpu_s_per_min") for x in recs]), "%.3f"),
            f(med([x.get("rss_cryptun_mb") for x in recs]), "%.0f"), f(med([x.get("rss_bmx7_mb") for x in recs]), "%.1f"),
            f(mx([x.get("through_all") for x in cl]), "%.1f"), f(med([x.get("after_last_input") for x in cl]), "%.1f"),
            f(mx([x.get("after_last_input") for x in cl]), "%.1f"), f(mx([x.get("peers_full_at") for x in recs]), "%.1f"),
            si.get("pairs", "?"), si.get("all_pairs", "?")))
    return "\n".join(rows)


def main(argv):
    if not argv:
        print(__doc__)
        return 2
    if argv[0] == "--table":
        print(table(argv[1:]))
        return 0
    if argv[0] == "--clients":
        for d in argv[1:]:
            with open(os.path.join(d, "results.json")) as fh:
                print(clients_table(json.load(fh)))
        return 0
    for d in argv:
        with open(os.path.join(d, "results.json")) as fh:
            print(summary(json.load(fh)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
