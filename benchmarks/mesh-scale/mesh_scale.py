#!/usr/bin/env python3
"""A cryptun mesh at community size: N network namespaces in a grid (multi-hop), each running a
bmx7 daemon and `cryptun mesh` next to it; G of them gateways (each offers a network of its own,
10.9G.0.0/16), the rest clients searching 10.0.0.0/8. Real bmx7 when BMX7=/path/to/bmx7 is set
(its plugins beside it or in its lib/; on a kernel without ip6_tunnel its tunnel devices are
emulated by the LD_PRELOAD shim in cli/src/test/resources/bmx7, compiled here); the Java bmx7
stand-in of the tests otherwise (all nodes on one bridge, since it routes nothing).

It measures what a node pays, cryptun beside bmx7 on the same node:
  - start-up CPU: CPU-seconds of each process in its first 60 s, all nodes started together;
  - convergence: for each client, the time from start, and from the moment the last gateway
    record it needs arrived in its sms/rcvdSms, until it pings every gateway's network;
  - sessions: node pairs with a WireGuard handshake (idle, and after the pings);
  - idle CPU: CPU-seconds per minute of each process over --idle-seconds once converged;
  - RSS of each process, and ERROR/WARN lines in the logs.

Everything it creates (namespaces sc01.., processes by PID, work directory) is removed at the end,
also on failure or Ctrl-C. Results: a directory under benchmarks/results/ with summary.txt and
results.json. Needs root, iproute2, wg (wireguard-tools), ping, cc (for the shim), and the built
jar (mvn -B -q package -DskipTests). Usage: see run.sh.
"""
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLK = os.sysconf("SC_CLK_TCK")
PORT = 51820


def sh(*args, check=True, capture=False, ns=None):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    r = subprocess.run(cmd, stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                       stderr=subprocess.PIPE if capture else subprocess.DEVNULL, text=True)
    if check and r.returncode != 0:
        raise RuntimeError("failed: %s\n%s" % (" ".join(cmd), r.stderr if capture else ""))
    return r


def cpu_seconds(pid):
    """utime + stime of the whole process (all threads), in seconds; None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK
    except (OSError, IndexError, ValueError):
        return None


def thread_cpu(pid):
    """CPU-seconds by thread name (threads of the same name added up)."""
    out = {}
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                    name = re.sub(r"[0-9]+$", "#", f.read().strip())
                with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / CLK
            except (OSError, IndexError, ValueError):
                pass
    except OSError:
        pass
    return out


def rss_mb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


class Node:
    def __init__(self, index, name, work):
        self.index = index
        self.name = name                    # namespace name, sc01..
        self.work = os.path.join(work, name)
        self.run = os.path.join(self.work, "run")
        self.etc = os.path.join(self.work, "etc")
        self.ifname = "ctsc%02d" % index
        self.devs = []
        self.gateway = None                 # the gateway's number (1..G) or None for a client
        self.bmx7 = None
        self.cryptun = None
        self.node_id = None
        self.key = None

    @property
    def tun4(self):
        return "10.254.%d.%d/32" % (self.index // 250, self.index % 250 + 1)

    @property
    def tun6(self):
        return "2001:db8:%x::1/128" % self.index


class Rig:
    def __init__(self, args):
        self.args = args
        self.work = tempfile.mkdtemp(prefix="ctsc-")
        self.nodes = []
        self.procs = []
        self.namespaces = []
        self.shim = None
        self.standin = None
        self.bmx7 = os.environ.get("BMX7")
        self.plugins = None

    # ------------------------------------------------------------------ setup

    def setup(self):
        n = self.args.nodes
        for i in range(1, n + 1):
            name = "sc%02d" % i
            if sh("ip", "netns", "pids", name, check=False).returncode == 0:
                raise RuntimeError("namespace %s exists: another rig is running, or remove it by hand" % name)
        for i in range(1, n + 1):
            node = Node(i, "sc%02d" % i, self.work)
            os.makedirs(node.run)
            os.makedirs(node.etc)
            sh("ip", "netns", "add", node.name)
            self.namespaces.append(node.name)
            sh("ip", "-n", node.name, "link", "set", "lo", "up")
            self.nodes.append(node)
        # gateways spread over the grid: first, middle, last
        g = self.args.gateways
        picks = sorted({round(k * (n - 1) / max(1, g - 1)) for k in range(g)}) if g > 1 else [0]
        for number, idx in enumerate(picks, start=1):
            self.nodes[idx].gateway = number
        if self.bmx7:
            self.wire_grid()
        else:
            self.wire_bridge()
        for node in self.nodes:
            if node.gateway:
                sh("ip", "addr", "add", "10.9%d.0.1/32" % node.gateway, "dev", "lo", ns=node.name)

    def wire_grid(self):
        """A grid WIDTH wide, links right and down: multi-hop, as a community mesh is."""
        width = self.args.width
        for node in self.nodes:
            i = node.index - 1
            for j in ([i + 1] if (i + 1) % width else []) + [i + width]:
                if j >= len(self.nodes):
                    continue
                other = self.nodes[j]
                a = "v%dt%d" % (node.index, other.index)
                b = "v%dt%d" % (other.index, node.index)
                sh("ip", "link", "add", a, "netns", node.name, "type", "veth", "peer", "name", b, "netns", other.name)
                sh("ip", "-n", node.name, "link", "set", a, "up")
                sh("ip", "-n", other.name, "link", "set", b, "up")
                node.devs.append(a)
                other.devs.append(b)

    def wire_bridge(self):
        """The stand-in routes nothing: all nodes on one bridge in a hub namespace, one hop apart."""
        hub = "scbr"
        sh("ip", "netns", "add", hub)
        self.namespaces.append(hub)
        sh("ip", "-n", hub, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", hub, "link", "set", "br0", "up")
        for node in self.nodes:
            a, b = "v%d" % node.index, "b%d" % node.index
            sh("ip", "link", "add", a, "netns", node.name, "type", "veth", "peer", "name", b, "netns", hub)
            sh("ip", "-n", hub, "link", "set", b, "master", "br0", "up")
            sh("ip", "-n", node.name, "link", "set", a, "up")
            node.devs.append(a)

    def find_plugins(self):
        candidates = [os.environ.get("BMX7_LIB_PATH"), os.path.dirname(self.bmx7), os.path.join(os.path.dirname(self.bmx7), "lib")]
        for d in candidates:
            if d and all(os.path.exists(os.path.join(d, p)) for p in ("bmx7_tun.so", "bmx7_sms.so", "bmx7_json.so")):
                return os.path.abspath(d)
        raise RuntimeError("no bmx7 plugins beside %s, in its lib/ or BMX7_LIB_PATH" % self.bmx7)

    def prepare_shim(self):
        sh("ip", "netns", "add", "scprobe")
        try:
            has = sh("ip", "-6", "tunnel", "add", "probe0", "mode", "ip6ip6", "local", "fd70::1", "remote", "fd71::1",
                     check=False, ns="scprobe").returncode == 0
        finally:
            sh("ip", "netns", "del", "scprobe", check=False)
        if has:
            return None
        src = os.path.join(ROOT, "cli", "src", "test", "resources", "bmx7", "ip6tnl-shim.c")
        so = os.path.join(self.work, "ip6tnl-shim.so")
        sh("cc", "-shared", "-fPIC", "-O2", "-o", so, src, "-ldl")
        return so

    def spawn(self, ns, argv, log, env=None):
        f = open(log, "ab")
        p = subprocess.Popen(["ip", "netns", "exec", ns] + argv, stdin=subprocess.DEVNULL, stdout=f, stderr=f,
                             env=env, start_new_session=True)
        self.procs.append(p)
        return p

    # ------------------------------------------------------------------ starting

    def start_bmx7(self, node):
        env = dict(os.environ, BMX7_LIB_PATH=self.plugins)
        if self.shim:
            env["LD_PRELOAD"] = self.shim
        cmd = [self.bmx7, "runtimeDir=" + node.run, "plugin=bmx7_tun.so", "plugin=bmx7_sms.so", "plugin=bmx7_json.so",
               "nodeRsaKey=6", "/keyPath=" + os.path.join(node.etc, "rsa.der"), "hostname=" + node.name,
               "descSqnPath=" + os.path.join(node.etc, "descSqn")]
        cmd += ["dev=" + d for d in node.devs]
        cmd += ["tunDev=Default", "/tun4Address=" + node.tun4, "/tun6Address=" + node.tun6.replace("/128", "/64"),
                "jsonUpdateInterval=1000", "debug=0"]
        node.bmx7 = self.spawn(node.name, cmd, os.path.join(node.work, "bmx7.log"), env)

    def start_standin(self):
        """The Java stand-in for every node at once (cli test classes), the nodes' fd70 addresses on their veths."""
        cp = ":".join([self.jar(), os.path.join(ROOT, "cli", "target", "test-classes"),
                       os.path.join(ROOT, "testkit", "target", "classes")])
        spec = os.path.join(self.work, "standin.txt")
        base = os.path.join(self.work, "standin")
        with open(spec, "w") as f:
            for node in self.nodes:
                f.write("%s %s %s\n" % (node.name, node.tun4, node.tun6.replace("/128", "/64")))
                node.run = os.path.join(base, node.name)
        ids = os.path.join(self.work, "standin-ids.txt")
        self.standin = subprocess.Popen(["java", "-cp", cp, "io.cryptun.cli.it.standin.StandInMeshMain", base, spec, ids,
                                         str(self.args.width)], cwd=os.path.join(ROOT, "cli"), stdin=subprocess.DEVNULL,
                                        stdout=open(os.path.join(self.work, "standin.log"), "ab"), stderr=subprocess.STDOUT,
                                        start_new_session=True)
        self.procs.append(self.standin)
        deadline = time.time() + 60
        while not os.path.exists(ids):
            if time.time() > deadline or self.standin.poll() is not None:
                raise RuntimeError("the stand-in did not start; see %s/standin.log" % self.work)
            time.sleep(0.2)
        time.sleep(0.5)
        with open(ids) as f:
            for line in f:
                name, node_id, primary = line.split()
                node = next(n for n in self.nodes if n.name == name)
                node.node_id = node_id
                for d in node.devs:
                    sh("ip", "-n", node.name, "-6", "addr", "add", primary + "/16", "dev", d, "nodad")

    def jar(self):
        jars = [j for j in os.listdir(os.path.join(ROOT, "cli", "target")) if re.match(r"cli-.*-all\.jar$", j)]
        if not jars:
            raise RuntimeError("no cli/target/cli-*-all.jar: mvn -B -q package -DskipTests")
        return os.path.join(ROOT, "cli", "target", jars[0])

    def start_cryptun(self, node):
        args = [os.path.join(ROOT, "cryptun"), "mesh", node.ifname, "--bmx7-dir", node.run, "--listen-port", str(PORT),
                "--private-key-file", os.path.join(node.etc, "wg.key"), "--tun4", node.tun4, "--tun6", node.tun6]
        if node.gateway:
            args += ["--tun-in", "gw%d=10.9%d.0.0/16,bandwidth=50000000" % (node.gateway, node.gateway)]
        else:
            args += ["--tun-out", "v4any=10.0.0.0/8"]
        env = dict(os.environ)
        if self.args.java:
            env["CRYPTUN_JAVA"] = self.args.java
        if self.args.java_opts:
            env["CRYPTUN_JAVA_OPTS"] = self.args.java_opts.replace("{node}", node.name)
        if self.args.cache_dir:
            env["CRYPTUN_CACHE_DIR"] = os.path.join(self.args.cache_dir, node.name)
        node.cryptun = self.spawn(node.name, args, os.path.join(node.work, "cryptun.log"), env)

    # ------------------------------------------------------------------ measuring

    def node_ids(self):
        """Each node's bmx7 id, from its json status (real bmx7) or the stand-in's list."""
        for node in self.nodes:
            if node.node_id:
                continue
            try:
                with open(os.path.join(node.run, "json", "status")) as f:
                    m = re.search(r'"nodeId"\s*:\s*"([0-9A-F]{56})"', f.read())
                    if m:
                        node.node_id = m.group(1)
            except OSError:
                pass

    def peers(self, node):
        r = sh("wg", "show", node.ifname, "dump", check=False, capture=True, ns=node.name)
        out = {}
        for line in r.stdout.splitlines()[1:]:
            f = line.split("\t")
            if len(f) >= 8:
                out[f[0]] = {"endpoint": f[2], "allowed": f[3], "handshake": int(f[4])}
        return out

    def public_key(self, node):
        if node.key is None:
            try:
                with open(os.path.join(node.etc, "wg.key")) as f:
                    private = f.read()
            except OSError:
                return None
            node.key = subprocess.run(["wg", "pubkey"], input=private, capture_output=True, text=True).stdout.strip() or None
        return node.key

    def run(self):
        a = self.args
        self.setup()
        result = {"nodes": a.nodes, "gateways": a.gateways, "bmx7": "real" if self.bmx7 else "stand-in",
                  "loadavg_before": open("/proc/loadavg").read().split()[:3]}
        if self.bmx7:
            self.plugins = self.find_plugins()
            self.shim = self.prepare_shim()
        t0 = time.time()
        if self.bmx7:
            for node in self.nodes:
                self.start_bmx7(node)
        else:
            self.start_standin()
        for node in self.nodes:
            self.start_cryptun(node)
        clients = [n for n in self.nodes if not n.gateway]
        gateways = [n for n in self.nodes if n.gateway]
        first_seen = {}          # (client, gateway) -> time its record first appeared at the client
        through = {}             # client -> time it pinged every gateway's network
        cpu_at_60 = {}
        deadline = t0 + a.converge_timeout
        pending = {c.name: set(g.gateway for g in gateways) for c in clients}
        pingers = {}
        while time.time() < deadline:
            now = time.time()
            self.node_ids()
            for c in clients:
                for g in gateways:
                    if (c.name, g.name) in first_seen or not g.node_id:
                        continue
                    if os.path.exists(os.path.join(c.run, "sms", "rcvdSms", g.node_id + ":cryptun")):
                        first_seen[(c.name, g.name)] = now - t0
            # one ping per client and gateway in flight at a time
            for c in clients:
                for gw in list(pending[c.name]):
                    key = (c.name, gw)
                    p = pingers.get(key)
                    if p is None:
                        pingers[key] = subprocess.Popen(["ip", "netns", "exec", c.name, "ping", "-n", "-c", "1", "-W", "1",
                                                         "10.9%d.0.1" % gw], stdout=subprocess.DEVNULL,
                                                        stderr=subprocess.DEVNULL)
                    elif p.poll() is not None:
                        del pingers[key]
                        if p.returncode == 0:
                            pending[c.name].discard(gw)
                            if not pending[c.name]:
                                through[c.name] = time.time() - t0
            if "cpu60" not in result and now - t0 >= 60:
                self.record_cpu60(result, cpu_at_60)
            if len(through) == len(clients) and "cpu60" in result:
                break
            time.sleep(0.1)
        for p in pingers.values():
            p.kill()
        if "cpu60" not in result:
            self.record_cpu60(result, cpu_at_60)
        result["converged"] = len(through) == len(clients)
        result["through_s"] = through
        after_record = {}
        for c in clients:
            last = max((first_seen.get((c.name, g.name), float("nan")) for g in gateways), default=float("nan"))
            if c.name in through:
                after_record[c.name] = through[c.name] - last
        result["through_after_last_record_s"] = after_record
        result["sessions_after_pings"] = self.sessions()
        time.sleep(a.settle_seconds)
        result["sessions_idle"] = self.sessions()
        before = {n.name: (cpu_seconds(n.cryptun.pid), cpu_seconds(n.bmx7.pid) if n.bmx7 else None) for n in self.nodes}
        load_before = open("/proc/loadavg").read().split()[:3]
        time.sleep(a.idle_seconds)
        idle = {}
        for n in self.nodes:
            c0, b0 = before[n.name]
            c1 = cpu_seconds(n.cryptun.pid)
            b1 = cpu_seconds(n.bmx7.pid) if n.bmx7 else None
            idle[n.name] = {"cryptun": None if c0 is None or c1 is None else (c1 - c0) * 60.0 / a.idle_seconds,
                            "bmx7": None if b0 is None or b1 is None else (b1 - b0) * 60.0 / a.idle_seconds}
        result["idle_cpu_s_per_min"] = idle
        result["loadavg_idle"] = [load_before, open("/proc/loadavg").read().split()[:3]]
        result["rss_mb"] = {n.name: {"cryptun": rss_mb(n.cryptun.pid), "bmx7": rss_mb(n.bmx7.pid) if n.bmx7 else None}
                            for n in self.nodes}
        result["peers_per_node"] = {n.name: len(self.peers(n)) for n in self.nodes}
        result["log_problems"] = self.log_problems()
        return result

    def record_cpu60(self, result, cpu_at_60):
        threads = {}
        for node in self.nodes:
            cpu_at_60[node.name] = {"cryptun": cpu_seconds(node.cryptun.pid),
                                    "bmx7": cpu_seconds(node.bmx7.pid) if node.bmx7 else None}
            for name, v in thread_cpu(node.cryptun.pid).items():
                threads[name] = threads.get(name, 0.0) + v / len(self.nodes)
        result["cpu60"] = cpu_at_60
        result["cpu60_cryptun_threads"] = dict(sorted(threads.items(), key=lambda kv: -kv[1]))

    def sessions(self):
        pairs = set()
        for n in self.nodes:
            for key, p in self.peers(n).items():
                if p["handshake"] > 0:
                    other = next((m.name for m in self.nodes if self.public_key(m) == key), key[:8])
                    pairs.add(tuple(sorted((n.name, other))))
        return len(pairs)

    def log_problems(self):
        """ERROR and WARN lines of cryptun's logs (bmx7's own are counted apart: its start-up talks a lot)."""
        out = []
        for n in self.nodes:
            for which in ("cryptun.log", "bmx7.log"):
                path = os.path.join(n.work, which)
                try:
                    with open(path, errors="replace") as f:
                        for line in f:
                            if re.match(r"^(ERROR|WARN)", line) or " ERROR " in line:
                                out.append("%s %s: %s" % (n.name, which, line.strip()[:200]))
                except OSError:
                    pass
        return out

    # ------------------------------------------------------------------ cleaning up

    def cleanup(self):
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except OSError:
                pass
        deadline = time.time() + 20
        for p in self.procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except OSError:
                    pass
        for ns in reversed(self.namespaces):
            sh("ip", "netns", "del", ns, check=False)
        for n in self.nodes:
            try:
                os.unlink("/var/run/wireguard/%s.sock" % n.ifname)
            except OSError:
                pass
        if not self.args.keep:
            shutil.rmtree(self.work, ignore_errors=True)


def summarize(r):
    def stats(values):
        v = [x for x in values if x is not None and x == x]
        if not v:
            return "n/a"
        return "median %.2f, max %.2f (n=%d)" % (statistics.median(v), max(v), len(v))

    lines = ["mesh-scale: %d nodes, %d gateways, bmx7 %s; load before %s" % (r["nodes"], r["gateways"], r["bmx7"],
                                                                              " ".join(r["loadavg_before"]))]
    lines.append("start-up CPU in the first 60 s, CPU-s per node: cryptun %s; bmx7 %s" % (
        stats([v["cryptun"] for v in r["cpu60"].values()]), stats([v["bmx7"] for v in r["cpu60"].values()])))
    lines.append("  cryptun's by thread (mean per node): " + ", ".join("%s %.2f" % kv for kv in
                 list(r.get("cpu60_cryptun_threads", {}).items())[:8]))
    lines.append("converged: %s; every client pings every gateway's network %s s after start" % (
        r["converged"], stats(list(r["through_s"].values()))))
    lines.append("  ... %s s after the last gateway record it needed arrived" % stats(list(r["through_after_last_record_s"].values())))
    n = r["nodes"]
    lines.append("sessions (node pairs with a handshake): %d after the pings, %d idle, of %d pairs; peers per node %s" % (
        r["sessions_after_pings"], r["sessions_idle"], n * (n - 1) // 2, stats(list(r["peers_per_node"].values()))))
    lines.append("idle CPU, CPU-s per minute per node: cryptun %s; bmx7 %s (load %s -> %s)" % (
        stats([v["cryptun"] for v in r["idle_cpu_s_per_min"].values()]),
        stats([v["bmx7"] for v in r["idle_cpu_s_per_min"].values()]),
        " ".join(r["loadavg_idle"][0]), " ".join(r["loadavg_idle"][1])))
    lines.append("RSS MB per node: cryptun %s; bmx7 %s" % (stats([v["cryptun"] for v in r["rss_mb"].values()]),
                                                          stats([v["bmx7"] for v in r["rss_mb"].values()])))
    cryptun_lines = [p for p in r["log_problems"] if " cryptun.log: " in p]
    lines.append("ERROR/WARN lines: cryptun %d, bmx7 %d" % (len(cryptun_lines), len(r["log_problems"]) - len(cryptun_lines)))
    lines += ["  " + p for p in cryptun_lines[:20]]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=8)
    ap.add_argument("--gateways", type=int, default=2)
    ap.add_argument("--width", type=int, default=4, help="grid width")
    ap.add_argument("--idle-seconds", type=int, default=60)
    ap.add_argument("--settle-seconds", type=int, default=20, help="wait after convergence before the idle measurement")
    ap.add_argument("--converge-timeout", type=int, default=240)
    ap.add_argument("--java", help="the java binary for cryptun (CRYPTUN_JAVA); default: the launcher's newest JDK")
    ap.add_argument("--java-opts", help="CRYPTUN_JAVA_OPTS for every cryptun ({node} becomes the node's name)")
    ap.add_argument("--cache-dir", help="CRYPTUN_CACHE_DIR, one subdirectory per node (kept between runs: a second run"
                    " starts with the class archive the first made)")
    ap.add_argument("--out", help="results directory (default: benchmarks/results/mesh-scale-<time>-<n>)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("mesh-scale needs root (network namespaces)")
    rig = Rig(args)
    signal.signal(signal.SIGTERM, lambda *x: sys.exit(143))
    try:
        result = rig.run()
    finally:
        rig.cleanup()
    result["git"] = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                                   text=True).stdout.strip()
    result["java"] = args.java or "launcher's newest"
    result["java_opts"] = args.java_opts
    result["cache_dir"] = args.cache_dir
    out = args.out or os.path.join(ROOT, "benchmarks", "results",
                                   "mesh-scale-%s-%dn" % (time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()), args.nodes))
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
    text = summarize(result)
    with open(os.path.join(out, "summary.txt"), "w") as f:
        f.write(text + "\n")
    print(text)
    print("results in " + out)


if __name__ == "__main__":
    main()
