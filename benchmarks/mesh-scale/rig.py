#!/usr/bin/env python3
"""mesh-scale rig: what `cryptun mesh` costs a node of a bmx7 mesh, at 8..24+ nodes.

N network namespaces wired as a grid of veths (multi-hop: a 24-node grid 6 wide is 8 hops across),
each running bmx7 (real when BMX7=/path/to/bmx7 is set, else the Java stand-in of cli's tests) and
`cryptun mesh` through the launcher ./cryptun, as a user runs it. G of the nodes are gateways
(`--tun-in gw=...`, one address of the offered network on lo), the others clients searching
`--tun-out v4any=10.0.0.0/8`. Every node has a tunDev (`tunDev=Default /tun4Address=10.254.1.I/32`)
and the same address as cryptun's --tun4. Measured (see README.md for the definitions):

  start-up CPU   CPU-s (utime+stime of all threads, /proc/PID/stat) of each cryptun JVM and each bmx7
                 in its first 60 s; cryptun's split by thread (C2 compiler threads vs the rest)
  convergence    per client: from its start, and from the arrival of the last input it needs (the
                 gateways' records in its sms/rcvdSms, their offer in its json/descriptions, its own
                 record at the gateways), until an ICMP echo to every gateway's address comes back;
                 per node: when it has all N-1 WireGuard peers (UAPI get, as `wg show dump`)
  sessions       pairs with a handshake after the pings and when idle, vs N(N-1)/2; peers per node
  idle CPU       CPU-s per minute of each process over --idle-seconds, after --settle-seconds,
                 no traffic but what the daemons send themselves; per thread; wake-ups (context
                 switches); what else ran on the machine meanwhile (other users' load)
  RSS            VmRSS of each process at the end of the idle window
  logs           ERROR/WARN lines of cryptun and bmx7, grouped
  --profile      after the idle window, one client and one gateway: a JFR recording and an strace
                 of the idle JVM (which files it reads, which syscalls it makes)

Everything it creates is named <prefix>NN (namespaces), wg<prefix>NN (interfaces, UAPI sockets) and
lives in a work directory; it is recorded in a registry file as it is created and removed by exact
name and recorded PID at the end, on errors and on signals (rig.sh also runs `--cleanup REGISTRY`
from its EXIT trap, in case this process itself is killed).
"""
import argparse
import base64
import collections
import ctypes
import hashlib
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
CLK = os.sysconf("SC_CLK_TCK")
PORT = 51820
UAPI_DIR = "/var/run/wireguard"
CLONE_NEWNET = 0x40000000


def log(msg):
    print("[mesh-scale %s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


def sh(*args, check=True, ns=None, input=None, timeout=60):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + [str(a) for a in args]
    r = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError("failed (%d): %s\n%s" % (r.returncode, " ".join(cmd), r.stderr.strip()))
    return r


def loadavg():
    with open("/proc/loadavg") as f:
        return f.read().split()[:3]


def machine_cpu():
    """(busy, total) jiffies of the whole machine."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    total = sum(v[:8])
    return total - idle, total


def proc_cpu(pid):
    """utime+stime of the whole process (all its threads, live and ended), seconds; None when gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK
    except (OSError, IndexError, ValueError):
        return None


def proc_status(pid):
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                out[k] = v.strip()
    except OSError:
        pass
    return out


def kb(v):
    return int(v.split()[0]) if v else None


def thread_snapshot(pid):
    """{tid: [name, cpu_s, voluntary_cs, involuntary_cs]} of every live thread."""
    out = {}
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for tid in tids:
        base = "/proc/%d/task/%s/" % (pid, tid)
        try:
            with open(base + "stat") as f:
                s = f.read()
            name = s[s.index("(") + 1:s.rindex(")")]
            fields = s.rsplit(")", 1)[1].split()
            cpu = (int(fields[11]) + int(fields[12])) / CLK
            vol = invol = 0
            with open(base + "status") as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches"):
                        vol = int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches"):
                        invol = int(line.split()[1])
            out[tid] = [name, cpu, vol, invol]
        except (OSError, ValueError, IndexError):
            pass
    return out


def thread_group(name):
    """Thread names without their numbers: 'C2 CompilerThre#', 'GC Thread#' ..."""
    return re.sub(r"[0-9]+$", "#", name)


def threads_by_group(snap, before=None):
    """CPU-s and context switches per thread group (delta against `before` when given)."""
    out = {}
    for tid, (name, cpu, vol, invol) in snap.items():
        b = before.get(tid) if before else None
        if b is not None and b[0] != name:
            b = None
        d_cpu = cpu - (b[1] if b else 0.0)
        d_cs = (vol + invol) - ((b[2] + b[3]) if b else 0)
        g = out.setdefault(thread_group(name), {"cpu": 0.0, "cs": 0, "threads": 0})
        g["cpu"] += d_cpu
        g["cs"] += d_cs
        g["threads"] += 1
    return out


def all_proc_cpu():
    """{pid: (comm, cpu_s)} of every process on the machine."""
    out = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    s = f.read()
                fields = s.rsplit(")", 1)[1].split()
                out[int(d)] = (s[s.index("(") + 1:s.rindex(")")], (int(fields[11]) + int(fields[12])) / CLK)
            except (OSError, ValueError, IndexError):
                pass
    return out


def self_cpu():
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


# ---------------------------------------------------------------------------------------- registry

class Registry:
    """Everything created, one JSON object a line, so a separate `--cleanup` can undo it."""

    def __init__(self, path):
        self.path = path

    def add(self, **entry):
        with open(self.path, "a") as f:
            f.write(json.dumps(entry) + "\n")
            f.flush()
            os.fsync(f.fileno())


def cleanup_from_registry(path, quiet=False):
    """Undo what the registry lists: processes (by PID, if still ours), namespaces, sockets, mounts."""
    if not os.path.exists(path):
        return
    entries = []
    with open(path) as f:
        for line in f:
            try:
                entries.append(json.loads(line))
            except ValueError:
                pass
    marker = None
    for e in entries:
        if "work" in e:
            marker = e["work"]

    def ours(pid):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return False
        return marker is not None and marker in cmd

    pids = [e["pid"] for e in entries if "pid" in e]
    # cryptun first (it withdraws from bmx7), then everything else
    order = [e["pid"] for e in entries if e.get("what") == "cryptun"] + \
            [e["pid"] for e in entries if "pid" in e and e.get("what") != "cryptun"]
    for pid in order:
        if ours(pid):
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
    deadline = time.time() + 25
    while time.time() < deadline and any(ours(p) for p in pids):
        time.sleep(0.2)
    for pid in pids:
        if ours(pid):
            try:
                os.kill(pid, signal.SIGKILL)
                if not quiet:
                    log("killed %d (did not stop on SIGTERM)" % pid)
            except OSError:
                pass
    time.sleep(0.2)
    for e in reversed(entries):
        if "netns" in e and os.path.exists("/run/netns/" + e["netns"]):
            subprocess.run(["ip", "netns", "del", e["netns"]], capture_output=True)
        if "sock" in e:
            try:
                os.unlink(e["sock"])
            except OSError:
                pass
    os.unlink(path)
    for e in entries:
        if e.get("rmdir") and e.get("remove", True) and os.path.isdir(e["rmdir"]):
            shutil.rmtree(e["rmdir"], ignore_errors=True)


# ---------------------------------------------------------------------------------------- network helpers

_libc = ctypes.CDLL("libc.so.6", use_errno=True)


def socket_in_netns(ns, family, type_, proto):
    """A socket created inside namespace ns (this thread goes there and back)."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open("/run/netns/" + ns, os.O_RDONLY)
    try:
        if _libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns " + ns)
        try:
            return socket.socket(family, type_, proto)
        finally:
            if _libc.setns(own, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back")
    finally:
        os.close(own)
        os.close(target)


def icmp_checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def echo_request(ident, seq):
    payload = b"mesh-scale" + struct.pack("!d", time.time())
    hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    return struct.pack("!BBHHH", 8, 0, icmp_checksum(hdr + payload), ident, seq) + payload


def uapi_get(ifname, timeout=2.0):
    """The device's peers through its UAPI socket (what `wg show dump` reads): {pubkey_hex: {...}}."""
    path = os.path.join(UAPI_DIR, ifname + ".sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
        s.sendall(b"get=1\n\n")
        buf = b""
        while not buf.endswith(b"\n\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    finally:
        s.close()
    peers = {}
    cur = None
    for line in buf.decode(errors="replace").splitlines():
        k, _, v = line.partition("=")
        if k == "public_key":
            cur = peers.setdefault(v, {"endpoint": None, "allowed": [], "handshake": 0, "rx": 0, "tx": 0})
        elif cur is None:
            continue
        elif k == "endpoint":
            cur["endpoint"] = v
        elif k == "allowed_ip":
            cur["allowed"].append(v)
        elif k == "last_handshake_time_sec":
            cur["handshake"] = int(v)
        elif k == "last_handshake_time_nsec":
            cur["handshake_nsec"] = int(v)
        elif k == "rx_bytes":
            cur["rx"] = int(v)
        elif k == "tx_bytes":
            cur["tx"] = int(v)
    return peers


# ---------------------------------------------------------------------------------------- the rig

class UapiPoller(threading.Thread):
    """During convergence: each node's peers through UAPI every second (until it has them all), in a thread of
    its own, so that a daemon slow to answer never holds up the probes and the clocks of the main loop."""

    def __init__(self, rig):
        super().__init__(name="uapi-poller", daemon=True)
        self.rig = rig
        self.stopped = threading.Event()
        self.peers_full = {}        # node -> seconds after t0 of the request that showed all N-1 peers
        self.first_handshake = {}   # pair -> seconds after t0 (the handshake time WireGuard reports)
        self.polls = 0

    def run(self):
        rig = self.rig
        n = len(rig.nodes)
        while not self.stopped.is_set():
            for node in rig.nodes:
                if self.stopped.is_set():
                    return
                if node.start is None:
                    continue
                t = time.time()
                try:
                    peers = uapi_get(node.ifname, timeout=10)
                except OSError:
                    continue
                self.polls += 1
                for key, p in peers.items():
                    other = rig.by_pub.get(key)
                    if other and p["handshake"] > 0:
                        hs = p["handshake"] + p.get("handshake_nsec", 0) / 1e9 - rig.wall0
                        pair = tuple(sorted((node.ns, other.ns)))
                        if pair not in self.first_handshake or hs < self.first_handshake[pair]:
                            self.first_handshake[pair] = round(hs, 3)
                good = [k for k, p in peers.items() if p["endpoint"] and p["allowed"] and k in rig.by_pub]
                if len(good) >= n - 1:
                    self.peers_full.setdefault(node.ns, round(t - rig.wall0, 3))
            self.stopped.wait(1.0)


SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


class Node:
    def __init__(self, rig, index, x, y):
        self.index = index                       # 1..N
        self.x, self.y = x, y
        self.ns = "%s%02d" % (rig.prefix, index)
        self.ifname = "wg%s%02d" % (rig.prefix, index)
        self.dir = os.path.join(rig.work, self.ns)
        self.etc = os.path.join(self.dir, "etc")
        self.run = os.path.join(self.dir, "run")
        self.tun4 = "10.254.1.%d/32" % index
        self.tun6 = "2001:db8:%x::1/64" % index   # the stand-in's spec wants one; not given to cryptun
        self.links = []                          # (neighbour, my dev, its dev)
        self.gateway = None                      # 1..G for gateways
        self.node_id = None
        self.primary = None
        self.pub_b64 = None
        self.pub_hex = None
        self.bmx7 = None                         # Popen
        self.cryptun = None
        self.start = None                        # monotonic time this node was started
        self.cpu60 = None
        self.threads60 = None
        self.startup_jfr = False

    @property
    def role(self):
        return "gw%d" % self.gateway if self.gateway else "client"

    def gw_addr(self, rig):
        return "10.99.0.1" if rig.args.gw_net == "shared" else "10.99.%d.1" % self.gateway

    def gw_net(self, rig):
        return "10.99.0.0/16" if rig.args.gw_net == "shared" else "10.99.%d.0/24" % self.gateway


class Rig:
    def __init__(self, args):
        self.args = args
        self.prefix = args.prefix
        self.bmx7_bin = os.environ.get("BMX7") or None
        self.mode = "bmx7" if self.bmx7_bin else "standin"
        self.work = tempfile.mkdtemp(prefix="mesh-scale-", dir=args.work_base)
        os.chmod(self.work, 0o755)
        self.registry = Registry(args.registry or os.path.join(self.work, "registry.jsonl"))
        self.registry.add(work=self.work)
        self.registry.add(rmdir=self.work, remove=not args.keep_work)
        self.nodes = []
        self.shim = None
        self.plugins = None
        self.standin = None
        self.result = {"meta": {}, "nodes": {}, "phases": {}}
        self.timeseries = []
        self.mono0 = None
        self.orig_seen = {}     # (client, gateway) -> seconds after t0: the gateway's json/originators file (its path) at the client

    # ------------------------------------------------------------------ preconditions

    def preflight(self):
        a = self.args
        if os.geteuid() != 0:
            raise SystemExit("mesh-scale needs root (namespaces, TUN devices)")
        for c in ["ip", "wg", "ping", "openssl"] + (["cc"] if self.bmx7_bin else []):
            if not shutil.which(c):
                raise SystemExit("%s missing" % c)
        self.jar = self.find_jar()
        if self.bmx7_bin:
            if not os.access(self.bmx7_bin, os.X_OK):
                raise SystemExit("BMX7=%s is not executable" % self.bmx7_bin)
            self.plugins = self.find_plugins()
        else:
            tc = os.path.join(ROOT, "cli", "target", "test-classes", "io", "cryptun", "cli", "it", "standin",
                              "StandInMeshMain.class")
            if not os.path.exists(tc):
                raise SystemExit("no stand-in classes (%s): mvn -B -q package -DskipTests" % tc)
        if a.gateways < 1 or a.gateways >= a.nodes:
            raise SystemExit("--gateways must be 1..nodes-1")
        if a.nodes > 250:
            raise SystemExit("at most 250 nodes")
        for i in range(1, a.nodes + 1):
            ns = "%s%02d" % (self.prefix, i)
            if os.path.exists("/run/netns/" + ns):
                raise SystemExit("namespace %s exists (another run of this rig?): not touching it" % ns)
            sock = os.path.join(UAPI_DIR, "wg%s%02d.sock" % (self.prefix, i))
            if os.path.exists(sock):
                raise SystemExit("%s exists: another run is using these names" % sock)
        for ns in (self.prefix + "probe",):
            if os.path.exists("/run/netns/" + ns):
                raise SystemExit("namespace %s exists" % ns)

    def find_jar(self):
        d = os.path.join(ROOT, "cli", "target")
        jars = sorted(j for j in os.listdir(d) if re.match(r"cli-.*-all\.jar$", j)) if os.path.isdir(d) else []
        if not jars:
            raise SystemExit("no cli/target/cli-*-all.jar: mvn -B -q package -DskipTests")
        return os.path.join(d, jars[0])

    def find_plugins(self):
        for d in (os.environ.get("BMX7_LIB_PATH"), os.path.join(os.path.dirname(self.bmx7_bin), "lib"),
                  os.path.dirname(self.bmx7_bin)):
            if d and all(os.path.exists(os.path.join(d, p)) for p in ("bmx7_tun.so", "bmx7_sms.so", "bmx7_json.so")):
                return os.path.abspath(d)
        raise SystemExit("no bmx7_{tun,sms,json}.so in BMX7_LIB_PATH, %s/lib or beside it" % os.path.dirname(self.bmx7_bin))

    # ------------------------------------------------------------------ topology

    def build_topology(self):
        a = self.args
        n = a.nodes
        if a.width:
            width = a.width
        else:
            # the narrowest width >= sqrt(N) that divides N (8: 4x2, 16: 4x4, 24: 6x4), else ceil(sqrt(N))
            w0 = 1
            while w0 * w0 < n:
                w0 += 1
            width = next((w for w in range(w0, w0 + 4) if n % w == 0), w0)
        self.width = width
        for i in range(1, n + 1):
            self.nodes.append(Node(self, i, (i - 1) % width, (i - 1) // width))
        edges = []
        for node in self.nodes:
            i = node.index - 1
            if (i + 1) % width and i + 1 < n:
                edges.append((i, i + 1))
            if i + width < n:
                edges.append((i, i + width))
        for extra in (a.chords or []):
            p, q = (int(v) - 1 for v in extra.split("-"))
            edges.append((p, q))
        self.edges = edges
        for p, q in edges:
            np_, nq = self.nodes[p], self.nodes[q]
            np_.links.append((nq, "to%02d" % nq.index, "to%02d" % np_.index))
            nq.links.append((np_, "to%02d" % np_.index, "to%02d" % nq.index))
        self.dist, self.next_hop = self.shortest_paths()
        # gateways: given, or spread by farthest-point sampling from node 1 (corners first)
        if a.gateway_nodes:
            picks = [int(v) - 1 for v in a.gateway_nodes.split(",")]
        else:
            picks = [0]
            while len(picks) < a.gateways:
                best = max((i for i in range(n) if i not in picks),
                           key=lambda i: (min(self.dist[i][p] for p in picks), -i))
                picks.append(best)
        for g, i in enumerate(sorted(picks), start=1):
            self.nodes[i].gateway = g
        self.gateways = [x for x in self.nodes if x.gateway]
        self.clients = [x for x in self.nodes if not x.gateway]

    def shortest_paths(self):
        n = len(self.nodes)
        dist = [[None] * n for _ in range(n)]
        nxt = [[None] * n for _ in range(n)]
        for s in range(n):
            dist[s][s] = 0
            q = collections.deque([s])
            while q:
                u = q.popleft()
                for v_node, _, _ in self.nodes[u].links:
                    v = v_node.index - 1
                    if dist[s][v] is None:
                        dist[s][v] = dist[s][u] + 1
                        nxt[s][v] = v if u == s else nxt[s][u]
                        q.append(v)
        if any(d is None for row in dist for d in row):
            raise SystemExit("the topology is not connected")
        return dist, nxt

    # ------------------------------------------------------------------ setup

    def setup(self):
        self.probe_ip6tnl()
        for node in self.nodes:
            os.makedirs(node.etc, mode=0o700)
            os.makedirs(node.run)
            sh("ip", "netns", "add", node.ns)
            self.registry.add(netns=node.ns)
            self.registry.add(sock=os.path.join(UAPI_DIR, node.ifname + ".sock"))
            sh("ip", "-n", node.ns, "link", "set", "lo", "up")
        for p, q in self.edges:
            a, b = self.nodes[p], self.nodes[q]
            da, db = "to%02d" % b.index, "to%02d" % a.index
            sh("ip", "link", "add", da, "netns", a.ns, "type", "veth", "peer", "name", db, "netns", b.ns)
            sh("ip", "-n", a.ns, "link", "set", da, "up")
            sh("ip", "-n", b.ns, "link", "set", db, "up")
        for g in self.gateways:
            sh("ip", "-n", g.ns, "addr", "add", g.gw_addr(self) + "/32", "dev", "lo")
        # keys exist before the start, as on a node that reboots: bmx7's RSA2048 node key, the WireGuard key
        for node in self.nodes:
            der = os.path.join(node.etc, "rsa.der")
            pem = subprocess.run(["openssl", "genrsa", "-traditional", "2048"], capture_output=True, check=True).stdout
            subprocess.run(["openssl", "rsa", "-outform", "DER", "-out", der], input=pem, capture_output=True, check=True)
            os.chmod(der, 0o600)
            mod = subprocess.run(["openssl", "rsa", "-inform", "DER", "-in", der, "-noout", "-modulus"],
                                 capture_output=True, text=True, check=True).stdout.strip().split("=")[1]
            if self.bmx7_bin:
                node.node_id = hashlib.sha224(b"\x00\x06" + bytes.fromhex(mod)).hexdigest().upper()
            key = subprocess.run(["wg", "genkey"], capture_output=True, text=True, check=True).stdout
            kf = os.path.join(node.etc, "wg.key")
            fd = os.open(kf, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, key.encode())
            os.close(fd)
            node.pub_b64 = subprocess.run(["wg", "pubkey"], input=key, capture_output=True, text=True,
                                          check=True).stdout.strip()
            node.pub_hex = base64.b64decode(node.pub_b64).hex()
        self.by_pub = {n.pub_hex: n for n in self.nodes}
        self.wait_dad()

    def probe_ip6tnl(self):
        if not self.bmx7_bin:
            return
        probe = self.prefix + "probe"
        sh("ip", "netns", "add", probe)
        self.registry.add(netns=probe)
        try:
            has = sh("ip", "-6", "tunnel", "add", "probe0", "mode", "ip6ip6", "local", "fd70::1", "remote", "fd71::1",
                     check=False, ns=probe).returncode == 0
        finally:
            sh("ip", "netns", "del", probe, check=False)
        self.result["meta"]["ip6_tunnel"] = has
        if has:
            return
        src = os.path.join(ROOT, "cli", "src", "test", "resources", "bmx7", "ip6tnl-shim.c")
        self.shim = os.path.join(self.work, "ip6tnl-shim.so")
        subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-o", self.shim, src, "-ldl"], check=True)

    def wait_dad(self):
        """Until no address is tentative anywhere (the veths' link-local addresses): the OS's work, not the daemons'."""
        deadline = time.time() + 10
        while time.time() < deadline:
            if not any(sh("ip", "-n", n.ns, "-6", "addr", "show", "tentative", check=False).stdout.strip()
                       for n in self.nodes):
                return
            time.sleep(0.2)
        log("some addresses still tentative after 10 s; starting anyway")

    # ------------------------------------------------------------------ stand-in

    def start_standin(self):
        """The Java stand-in for all nodes (cli's test classes, one process), then its fd70 addresses and routes."""
        base = os.path.join(self.work, "standin")
        spec = os.path.join(self.work, "standin-spec.txt")
        ids = os.path.join(self.work, "standin-ids.txt")
        with open(spec, "w") as f:
            for node in self.nodes:
                f.write("%s %s %s\n" % (node.ns, node.tun4, node.tun6))
                node.run = os.path.join(base, node.ns)
        cp = ":".join([self.jar, os.path.join(ROOT, "cli", "target", "test-classes"),
                       os.path.join(ROOT, "testkit", "target", "classes")])
        # the stand-in links its nodes as a grid of the same width (right and down), as wired here
        if self.args.chords:
            log("note: the stand-in's path metrics know nothing of --chords (routes do)")
        logf = open(os.path.join(self.work, "standin.log"), "ab")
        self.standin = subprocess.Popen(self.renice_prefix() + ["java", "-Xss512k", "-cp", cp, "io.cryptun.cli.it.standin.StandInMeshMain",
                                         base, spec, ids, str(self.width)],
                                        cwd=os.path.join(ROOT, "cli"), stdin=subprocess.DEVNULL, stdout=logf,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        self.registry.add(pid=self.standin.pid, what="standin")
        deadline = time.time() + 90
        while not os.path.exists(ids):
            if time.time() > deadline or self.standin.poll() is not None:
                raise RuntimeError("the stand-in did not start; see %s/standin.log" % self.work)
            time.sleep(0.2)
        with open(ids) as f:
            for line in f:
                name, node_id, primary = line.split()
                node = next(x for x in self.nodes if x.ns == name)
                node.node_id, node.primary = node_id, primary
        # what bmx7 would do: primary address on every mesh interface, host routes in table 70
        for node in self.nodes:
            batch = ["rule add pref 70 lookup 70"]
            for _, dev, _ in node.links:
                batch.append("addr add %s/16 dev %s nodad" % (node.primary, dev))
            for other in self.nodes:
                if other is node:
                    continue
                hop = self.nodes[self.next_hop[node.index - 1][other.index - 1]]
                dev = next(d for nb, d, _ in node.links if nb is hop)
                if hop is other:
                    batch.append("route add %s/128 dev %s table 70" % (other.primary, dev))
                else:
                    batch.append("route add %s/128 via %s dev %s table 70 onlink" % (other.primary, hop.primary, dev))
            sh("ip", "-6", "-n", node.ns, "-batch", "-", input="\n".join(batch) + "\n")
            sh("sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1", ns=node.ns)

    # ------------------------------------------------------------------ daemons

    @staticmethod
    def renice_prefix():
        """The daemons run at niceness 0 even though the rig raised its own priority (see run())."""
        own = os.getpriority(os.PRIO_PROCESS, 0)
        return ["nice", "-n", str(-own)] if own else []

    def spawn(self, node, what, argv, env, logname):
        f = open(os.path.join(node.dir, logname), "ab")
        p = subprocess.Popen(self.renice_prefix() + ["ip", "netns", "exec", node.ns] + argv, stdin=subprocess.DEVNULL, stdout=f,
                             stderr=subprocess.STDOUT, env=env, cwd=node.dir, start_new_session=True)
        self.registry.add(pid=p.pid, what=what, node=node.ns)
        return p

    def start_node(self, node):
        node.start = time.monotonic()
        node.start_wall = time.time()
        if self.bmx7_bin:
            env = dict(os.environ, BMX7_LIB_PATH=self.plugins)
            if self.shim:
                env["LD_PRELOAD"] = self.shim
            argv = [self.bmx7_bin, "runtimeDir=" + node.run, "plugin=bmx7_tun.so", "plugin=bmx7_sms.so",
                    "plugin=bmx7_json.so", "nodeRsaKey=6", "/keyPath=" + os.path.join(node.etc, "rsa.der"),
                    "hostname=" + node.ns, "descSqnPath=" + os.path.join(node.etc, "descSqn")]
            argv += ["dev=" + dev for _, dev, _ in node.links]
            argv += ["tunDev=Default", "/tun4Address=" + node.tun4, "jsonUpdateInterval=1000"]
            argv += self.args.bmx7_opt
            argv += ["debug=0"]
            node.bmx7 = self.spawn(node, "bmx7", argv, env, "bmx7.log")
        argv = [os.path.join(ROOT, "cryptun"), "mesh", node.ifname, "--bmx7-dir", node.run,
                "--listen-port", str(PORT), "--private-key-file", os.path.join(node.etc, "wg.key"),
                "--tun4", node.tun4]
        if node.gateway:
            argv += ["--tun-in", "gw=" + node.gw_net(self)]
        else:
            argv += ["--tun-out", "v4any=10.0.0.0/8"]
        argv += self.args.cryptun_opt
        env = dict(os.environ)
        if self.args.java:
            env["CRYPTUN_JAVA"] = self.args.java
        env["CRYPTUN_JAR"] = self.jar
        opts = self.args.java_opts or ""
        if self.args.startup_jfr and node is self.clients[len(self.clients) // 2]:
            # one client records its first 60 s (its start-up figures are then left out of the statistics)
            os.makedirs(os.path.join(self.work, "profile"), exist_ok=True)
            opts += " -XX:StartFlightRecording=duration=%ds,settings=profile,filename=%s" % (
                self.args.startup_seconds, os.path.join(self.work, "profile", node.ns + "-startup.jfr"))
            node.startup_jfr = True
        if opts.strip():
            env["CRYPTUN_JAVA_OPTS"] = opts.strip()
        node.cryptun = self.spawn(node, "cryptun", argv, env, "cryptun.log")

    def pids(self):
        out = []
        for n in self.nodes:
            if n.cryptun:
                out.append(n.cryptun.pid)
            if n.bmx7:
                out.append(n.bmx7.pid)
        if self.standin:
            out.append(self.standin.pid)
        return out

    def daemon_cpu(self):
        c = sum(proc_cpu(n.cryptun.pid) or 0 for n in self.nodes if n.cryptun)
        b = sum(proc_cpu(n.bmx7.pid) or 0 for n in self.nodes if n.bmx7)
        s = proc_cpu(self.standin.pid) or 0 if self.standin else 0
        return c, b, s

    # ------------------------------------------------------------------ the measured run

    def run(self):
        a = self.args
        r = self.result
        meta = r["meta"]
        meta.update(nodes=a.nodes, gateways=a.gateways, width=self.width, edges=len(self.edges),
                    diameter=max(max(row) for row in self.dist), mode=self.mode, start=a.start,
                    stagger_gap=a.stagger_gap if a.start == "staggered" else None, gw_net=a.gw_net,
                    idle_seconds=a.idle_seconds, settle_seconds=a.settle_seconds, startup_seconds=a.startup_seconds,
                    cryptun_opt=a.cryptun_opt, bmx7_opt=a.bmx7_opt, java_opts=a.java_opts,
                    loadavg_before=loadavg(), started_utc=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        meta.update(self.environment())
        self.setup()
        if self.mode == "standin":
            self.start_standin()
        # probes: one raw ICMP socket per client, in its namespace
        icmp = {}
        for c in self.clients:
            icmp[c.ns] = socket_in_netns(c.ns, socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
            icmp[c.ns].setblocking(False)
        sock_client = {s.fileno(): c for c in self.clients for s in [icmp[c.ns]]}
        targets = {}
        for c in self.clients:
            if a.gw_net == "shared":
                targets[c.ns] = {"10.99.0.1": "any"}
            else:
                targets[c.ns] = {g.gw_addr(self): g.ns for g in self.gateways}
        ident = {c.ns: (os.getpid() + c.index * 7919) & 0xFFFF for c in self.clients}
        pending = {c.ns: set(targets[c.ns]) for c in self.clients}
        through = {}            # client -> {addr: seconds from client start}
        next_send = {}
        seq = collections.Counter()
        rec_seen = {}           # (at node, of node) -> seconds since t0 (monotonic offsets)
        offer_seen = {}         # (client, gateway) -> seconds: the gateway's offer in the client's json/descriptions
        orig_full = {}          # node -> seconds when json/originators listed every other node
        rec_full = {}           # node -> seconds when rcvdSms held every other node's record
        n = a.nodes
        log("%d nodes (grid %d wide, diameter %d hops), %d gateways %s; bmx7: %s; start: %s" % (
            n, self.width, meta["diameter"], a.gateways, ",".join(g.ns for g in self.gateways),
            ("real " + self.bmx7_bin + (" + ip6tnl shim" if self.shim else "")) if self.bmx7_bin else "stand-in", a.start))
        # the instrument must not starve when 2N daemons saturate the cores: the rig runs at niceness -10
        # (it uses ~1 % of a core), the daemons at 0 (renice_prefix)
        if a.rig_nice and os.getpriority(os.PRIO_PROCESS, 0) == 0:
            os.setpriority(os.PRIO_PROCESS, 0, -10)
        self.mono0 = time.monotonic()
        self.wall0 = time.time()
        meta["t0_utc"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.wall0))
        r["phases"]["t0_loadavg"] = loadavg()
        poller = UapiPoller(self)
        poller.start()
        peers_full, first_handshake = poller.peers_full, poller.first_handshake
        m_busy0, m_tot0 = machine_cpu()
        rig0 = self_cpu()
        order = list(self.nodes)
        if a.start == "staggered":
            plan = {node.ns: i * a.stagger_gap for i, node in enumerate(order)}
        else:
            plan = {node.ns: 0.0 for node in order}
        unstarted = list(order)
        last_ts = 0
        last_files = 0
        for sck in icmp.values():
            sck.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        startup_done_at = None
        converged_at = None

        deadline = self.mono0 + (a.stagger_gap * (n - 1) if a.start == "staggered" else 0) + a.converge_timeout
        while True:
            now = time.monotonic()
            # starts due
            while unstarted and now - self.mono0 >= plan[unstarted[0].ns]:
                self.start_node(unstarted.pop(0))
                now = time.monotonic()
            # start-up CPU at each node's start + startup_seconds
            for node in self.nodes:
                if node.start is not None and node.cpu60 is None and now - node.start >= a.startup_seconds:
                    node.cpu60 = {"cryptun": proc_cpu(node.cryptun.pid),
                                  "bmx7": proc_cpu(node.bmx7.pid) if node.bmx7 else None,
                                  "at": round(now - node.start, 2)}
                    node.threads60 = threads_by_group(thread_snapshot(node.cryptun.pid))
            all_started = not unstarted
            if all_started and startup_done_at is None and all(x.cpu60 for x in self.nodes):
                startup_done_at = now
            # time series every second
            if now - last_ts >= 1.0:
                last_ts = now
                c, b, s = self.daemon_cpu()
                mb, mt = machine_cpu()
                self.timeseries.append((round(now - self.mono0, 2), round(c, 2), round(b, 2), round(s, 2),
                                        round(self_cpu() - rig0, 2), round((mb - m_busy0) / CLK, 2),
                                        float(loadavg()[0])))
            # files: records, offers, originators (cheap: directory listings)
            if now - last_files >= 0.25:
                last_files = now
                self.scan_files(rec_seen, offer_seen, orig_full, rec_full, time.time() - self.wall0)
            # ICMP: an echo every 0.5 s to every gateway address a client cannot reach yet
            for c in self.clients:
                if c.start is None or not pending[c.ns]:
                    continue
                for addr in list(pending[c.ns]):
                    key = (c.ns, addr)
                    if now >= next_send.get(key, 0):
                        next_send[key] = now + 0.5
                        seq[c.ns] += 1
                        try:
                            icmp[c.ns].sendto(echo_request(ident[c.ns], seq[c.ns] & 0xFFFF), (addr, 0))
                        except OSError:
                            pass
            rl, _, _ = select.select([icmp[c.ns] for c in self.clients if pending[c.ns]], [], [], 0.05)
            for s in rl:
                c = sock_client[s.fileno()]
                while True:
                    try:
                        pkt, anc, _, src = s.recvmsg(2048, socket.CMSG_SPACE(16))
                    except (BlockingIOError, InterruptedError):
                        break
                    arrived = time.time()
                    for level, typ_, data in anc:
                        if level == socket.SOL_SOCKET and typ_ == SO_TIMESTAMPNS and len(data) >= 16:
                            sec, nsec = struct.unpack("qq", data[:16])
                            arrived = sec + nsec / 1e9
                    ihl = (pkt[0] & 0x0F) * 4
                    if len(pkt) < ihl + 8:
                        continue
                    typ, _, _, pid_, _ = struct.unpack("!BBHHH", pkt[ihl:ihl + 8])
                    if typ == 0 and pid_ == ident[c.ns] and src[0] in pending[c.ns]:
                        pending[c.ns].discard(src[0])
                        through.setdefault(c.ns, {})[src[0]] = round(arrived - c.start_wall, 3)
            done_ping = all(not pending[c.ns] for c in self.clients)
            done_peers = len(peers_full) == n
            if all_started and startup_done_at and done_ping and done_peers:
                converged_at = now
                break
            if now > deadline and startup_done_at:
                log("convergence timeout (%d s): %d of %d clients through, %d of %d nodes with all peers" % (
                    a.converge_timeout, sum(1 for c in self.clients if not pending[c.ns]), len(self.clients),
                    len(peers_full), n))
                break
            if any(x.cryptun.poll() is not None for x in self.nodes if x.cryptun) or \
                    any(x.bmx7.poll() is not None for x in self.nodes if x.bmx7):
                dead = [x.ns + "/" + w for x in self.nodes for w, p in (("cryptun", x.cryptun), ("bmx7", x.bmx7))
                        if p and p.poll() is not None]
                raise RuntimeError("daemons ended: %s (logs in %s)" % (", ".join(dead), self.work))
        poller.stopped.set()
        poller.join(timeout=15)
        r["phases"]["uapi_polls"] = poller.polls
        for s in icmp.values():
            s.close()
        mb, mt = machine_cpu()
        end_conv = time.monotonic()
        r["phases"]["convergence"] = {
            "seconds": round(end_conv - self.mono0, 2), "converged": converged_at is not None,
            "loadavg": loadavg(), "machine_busy_cores": round((mb - m_busy0) / max(1, mt - m_tot0) * os.cpu_count(), 2)}
        # the window of the start-up measurement: machine, daemons, others
        r["phases"]["startup_window"] = self.window_from_timeseries(0, a.startup_seconds + (
            a.stagger_gap * (n - 1) if a.start == "staggered" else 0))
        log("converged in %.1f s" % (end_conv - self.mono0) if converged_at else "not converged")
        # a real `ping -c1 -W1` per client and gateway address, as a user would check
        check = {}
        for c in self.clients:
            for addr in targets[c.ns]:
                ok = sh("ping", "-n", "-c", "1", "-W", "1", addr, ns=c.ns, check=False).returncode == 0
                check["%s->%s" % (c.ns, addr)] = ok
        r["ping_check_failures"] = sorted(k for k, v in check.items() if not v)
        r["sessions_after_pings"] = self.sessions()
        # ---- settle, then the idle window
        log("settling %d s, then %d x %d s idle" % (a.settle_seconds, a.idle_windows, a.idle_seconds))
        time.sleep(a.settle_seconds)
        r["sessions_before_idle"] = self.sessions()
        windows = []
        for k in range(a.idle_windows):
            windows.append(self.measure_idle(k, a.idle_seconds, rig0, m_busy0))
        r["idle_windows"] = windows
        r["phases"]["idle"] = windows[-1]["machine"]
        for ns, rec in windows[-1]["nodes"].items():
            r["nodes"].setdefault(ns, {}).update(rec)
        uapi1 = windows[-1]["uapi"]
        for w in windows:
            del w["uapi"]
        r["sessions_idle"] = self.sessions(uapi1)
        # description churn and bmx7's own view at the end
        for x in self.nodes:
            rec = r["nodes"].setdefault(x.ns, {})
            try:
                with open(os.path.join(x.run, "json", "status")) as f:
                    stj = json.load(f)["status"]
                rec["bmx7_descSqn"] = stj.get("descSqn")
                rec["bmx7_nodes"] = stj.get("nodes")
                rec["bmx7_cpu_field"] = stj.get("cpu")
            except (OSError, ValueError, KeyError):
                pass
        # per node: what was measured during the start and convergence
        for x in self.nodes:
            rec = r["nodes"].setdefault(x.ns, {})
            rec.update(role=x.role, x=x.x, y=x.y, node_id=x.node_id, links=len(x.links),
                       hops_to_gateways={g.ns: self.dist[x.index - 1][g.index - 1] for g in self.gateways},
                       started_at=round(x.start_wall - self.wall0, 3), cpu60=x.cpu60,
                       cpu60_cryptun_threads={k: round(v["cpu"], 3) for k, v in (x.threads60 or {}).items()},
                       startup_jfr=x.startup_jfr,
                       peers_full_at=peers_full.get(x.ns),
                       records_all_at=rec_full.get(x.ns), originators_all_at=orig_full.get(x.ns))
            if not x.gateway:
                need = []
                recs = {}
                for g in self.gateways:
                    at_client = rec_seen.get((x.ns, g.ns))
                    at_gw = rec_seen.get((g.ns, x.ns))
                    offer = offer_seen.get((x.ns, g.ns))
                    recs[g.ns] = {"gw_record_at_client": at_client, "client_record_at_gw": at_gw, "gw_offer_at_client": offer,
                                  "gw_originator_at_client": self.orig_seen.get((x.ns, g.ns))}
                    need += [at_client, at_gw, offer, self.orig_seen.get((x.ns, g.ns))]
                    # what cryptun's logs say (1 s resolution): when the client routed the gateway's network,
                    # when the gateway took the client as a peer; and the first handshake of the pair (WireGuard's clock)
                    recs[g.ns]["gw_net_routed_by_client_log"] = self.log_peer_time(x, g, g.gw_net(self))
                    recs[g.ns]["client_peer_at_gw_log"] = self.log_peer_time(g, x, None)
                    recs[g.ns]["first_handshake"] = first_handshake.get(tuple(sorted((x.ns, g.ns))))
                rec["inputs"] = recs
                got = through.get(x.ns, {})
                rec["through"] = {a_: got.get(a_) for a_ in targets[x.ns]}
                start = x.start_wall - self.wall0
                rec["through_all"] = max(got.values()) if len(got) == len(targets[x.ns]) else None
                gw_recs = [recs[g.ns]["gw_record_at_client"] for g in self.gateways]
                if rec["through_all"] is not None and None not in gw_recs:
                    rec["after_last_gw_record"] = round(rec["through_all"] + start - max(gw_recs), 3)
                if rec["through_all"] is not None and None not in need:
                    rec["after_last_input"] = round(rec["through_all"] + start - max(need), 3)
        r["first_handshakes"] = {"%s-%s" % k: v for k, v in sorted(first_handshake.items())}
        r["phases"]["cleanup_note"] = "daemons stopped after the measurements"
        if a.profile:
            self.profile()
        for x in self.nodes:
            if x.startup_jfr:
                self.startup_jfr_summary(x)

    def measure_idle(self, k, seconds, rig0, m_busy0):
        """One idle window: CPU per process and thread, wake-ups, RSS, peers with packets, the machine's other load."""
        nodes_out = {}
        uapi0 = {x.ns: self.safe_uapi(x) for x in self.nodes}
        others0 = all_proc_cpu()
        snap0 = {x.ns: (thread_snapshot(x.cryptun.pid), thread_snapshot(x.bmx7.pid) if x.bmx7 else None,
                        proc_cpu(x.cryptun.pid), proc_cpu(x.bmx7.pid) if x.bmx7 else None) for x in self.nodes}
        st0 = proc_cpu(self.standin.pid) if self.standin else None
        mb0, mt0 = machine_cpu()
        rig_0 = self_cpu()
        la0 = loadavg()
        t_idle0 = time.monotonic()
        while time.monotonic() - t_idle0 < seconds:
            time.sleep(1.0)
            c, b, s = self.daemon_cpu()
            mb, _ = machine_cpu()
            self.timeseries.append((round(time.monotonic() - self.mono0, 2), round(c, 2), round(b, 2), round(s, 2),
                                    round(self_cpu() - rig0, 2), round((mb - m_busy0) / CLK, 2), float(loadavg()[0])))
        dt = time.monotonic() - t_idle0
        snap1 = {x.ns: (thread_snapshot(x.cryptun.pid), thread_snapshot(x.bmx7.pid) if x.bmx7 else None,
                        proc_cpu(x.cryptun.pid), proc_cpu(x.bmx7.pid) if x.bmx7 else None) for x in self.nodes}
        st1 = proc_cpu(self.standin.pid) if self.standin else None
        mb1, mt1 = machine_cpu()
        rig_1 = self_cpu()
        others1 = all_proc_cpu()
        la1 = loadavg()
        uapi1 = {x.ns: self.safe_uapi(x) for x in self.nodes}
        mine = set(self.pids()) | {os.getpid()}
        other_cpu = {}
        for pid, (comm, cpu) in others1.items():
            if pid in mine or pid not in others0 or others0[pid][0] != comm:
                continue
            d = cpu - others0[pid][1]
            if d > 0.05:
                other_cpu["%s[%d]" % (comm, pid)] = round(d * 60 / dt, 2)
        daemons_idle = 0.0
        for x in self.nodes:
            t0c, t0b, c0, b0 = snap0[x.ns]
            t1c, t1b, c1, b1 = snap1[x.ns]
            rec = nodes_out.setdefault(x.ns, {})
            rec["idle_cryptun_cpu_s_per_min"] = round((c1 - c0) * 60 / dt, 3)
            rec["idle_cryptun_threads"] = {k: {"cpu_s_per_min": round(v["cpu"] * 60 / dt, 4),
                                               "wakeups_per_min": round(v["cs"] * 60 / dt, 1), "threads": v["threads"]}
                                           for k, v in threads_by_group(t1c, t0c).items()}
            rec["idle_cryptun_wakeups_per_min"] = round(sum(v["cs"] for v in threads_by_group(t1c, t0c).values()) * 60 / dt, 1)
            daemons_idle += c1 - c0
            if x.bmx7:
                rec["idle_bmx7_cpu_s_per_min"] = round((b1 - b0) * 60 / dt, 3)
                rec["idle_bmx7_wakeups_per_min"] = round(sum(v["cs"] for v in threads_by_group(t1b, t0b).values()) * 60 / dt, 1)
                daemons_idle += b1 - b0
            st = proc_status(x.cryptun.pid)
            rec["rss_cryptun_mb"] = round(kb(st.get("VmRSS")) / 1024, 1) if st.get("VmRSS") else None
            rec["hwm_cryptun_mb"] = round(kb(st.get("VmHWM")) / 1024, 1) if st.get("VmHWM") else None
            rec["threads_cryptun"] = int(st.get("Threads", "0"))
            if x.bmx7:
                sb = proc_status(x.bmx7.pid)
                rec["rss_bmx7_mb"] = round(kb(sb.get("VmRSS")) / 1024, 1) if sb.get("VmRSS") else None
                rec["hwm_bmx7_mb"] = round(kb(sb.get("VmHWM")) / 1024, 1) if sb.get("VmHWM") else None
            # keepalive / handshake traffic while idle
            u0, u1 = uapi0.get(x.ns) or {}, uapi1.get(x.ns) or {}
            active = []
            for key, p in u1.items():
                q = u0.get(key)
                if q and (p["tx"] > q["tx"] or p["rx"] > q["rx"]) and key in self.by_pub:
                    active.append(self.by_pub[key].ns)
            rec["idle_peers_with_traffic"] = sorted(active)
            rec["peers_configured"] = len(u1)
        standin_idle = (st1 - st0) if self.standin and st0 is not None and st1 is not None else None
        if standin_idle is not None:
            daemons_idle += standin_idle
        busy = (mb1 - mb0) / CLK
        machine = {
            "seconds": round(dt, 1), "loadavg_start": la0, "loadavg_end": la1,
            "machine_busy_cores": round(busy / dt, 3),
            "mesh_daemons_cores": round(daemons_idle / dt, 3),
            "rig_cores": round((rig_1 - rig_0) / dt, 3),
            "other_cores": round(max(0.0, busy - daemons_idle - (rig_1 - rig_0)) / dt, 3),
            "other_processes_cpu_s_per_min": dict(sorted(other_cpu.items(), key=lambda kv: -kv[1])[:12]),
            "standin_cpu_s_per_min": round(standin_idle * 60 / dt, 3) if standin_idle is not None else None,
            "started_at": round(t_idle0 - self.mono0, 1)}
        return {"window": k, "machine": machine, "nodes": nodes_out, "uapi": uapi1}

    def window_from_timeseries(self, t_from, t_to):
        rows = [row for row in self.timeseries if t_from <= row[0] <= t_to + 1.01]
        if len(rows) < 2:
            return {}
        a_, b_ = rows[0], rows[-1]
        dt = b_[0] - a_[0]
        peak = max((rows[i][5] - rows[i - 1][5]) / max(0.01, rows[i][0] - rows[i - 1][0]) for i in range(1, len(rows)))
        sat = sum(1 for i in range(1, len(rows))
                  if (rows[i][5] - rows[i - 1][5]) / max(0.01, rows[i][0] - rows[i - 1][0]) >= 0.95 * os.cpu_count())
        return {"from": a_[0], "to": b_[0], "cryptun_cores": round((b_[1] - a_[1]) / dt, 3),
                "bmx7_cores": round((b_[2] - a_[2]) / dt, 3), "standin_cores": round((b_[3] - a_[3]) / dt, 3),
                "rig_cores": round((b_[4] - a_[4]) / dt, 3), "machine_busy_cores": round((b_[5] - a_[5]) / dt, 3),
                "other_cores": round(max(0, (b_[5] - a_[5]) - (b_[1] - a_[1]) - (b_[2] - a_[2]) - (b_[3] - a_[3])
                                         - (b_[4] - a_[4])) / dt, 3),
                "rig_max_sample_gap_s": round(max(rows[i][0] - rows[i - 1][0] for i in range(1, len(rows))), 2),
                "peak_busy_cores_1s": round(peak, 2), "seconds_saturated": sat, "loadavg_max": max(r_[6] for r_ in rows)}

    def scan_files(self, rec_seen, offer_seen, orig_full, rec_full, t):
        n = len(self.nodes)
        ids = {x.node_id: x for x in self.nodes if x.node_id}
        for x in self.nodes:
            if x.start is None:
                continue
            if x.node_id is None and self.bmx7_bin:
                continue
            if x.ns not in rec_full:
                try:
                    names = os.listdir(os.path.join(x.run, "sms", "rcvdSms"))
                except OSError:
                    names = []
                for name in names:
                    nid, _, sms = name.partition(":")
                    if sms == "cryptun" and nid in ids and (x.ns, ids[nid].ns) not in rec_seen:
                        rec_seen[(x.ns, ids[nid].ns)] = self.arrival(os.path.join(x.run, "sms", "rcvdSms", name), t)
                if sum(1 for y in self.nodes if y is not x and (x.ns, y.ns) in rec_seen) >= n - 1:
                    rec_full[x.ns] = max(rec_seen[(x.ns, y.ns)] for y in self.nodes if y is not x)
            if x.ns not in orig_full:
                try:
                    names = os.listdir(os.path.join(x.run, "json", "originators"))
                except OSError:
                    names = []
                if sum(1 for nid in names if nid in ids and ids[nid] is not x) >= n - 1:
                    orig_full[x.ns] = t
            if not x.gateway:
                for g in self.gateways:
                    if g.node_id and (x.ns, g.ns) not in self.orig_seen and \
                            os.path.exists(os.path.join(x.run, "json", "originators", g.node_id)):
                        self.orig_seen[(x.ns, g.ns)] = round(t, 3)
                    if (x.ns, g.ns) in offer_seen or not g.node_id:
                        continue
                    p = os.path.join(x.run, "json", "descriptions", g.node_id)
                    try:
                        with open(p) as f:
                            text = f.read()
                    except OSError:
                        continue
                    net = g.gw_net(self).split("/")[0]
                    if '"%s"' % net in text or net in text:
                        offer_seen[(x.ns, g.ns)] = self.arrival(p, t)

    def log_peer_time(self, node, other, net):
        """Seconds after t0 of the first line of node's cryptun log that adds or updates the peer `other` (with
        `net` among its allowed IPs, if given); the log has whole seconds, so +0.5."""
        if not other.node_id:
            return None
        short = other.node_id[:8]
        try:
            with open(os.path.join(node.dir, "cryptun.log"), errors="replace") as f:
                for line in f:
                    if ("peer %s " % short) in line and (" added" in line or " updated" in line) and \
                            (net is None or net in line):
                        tm = re.search(r"(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d)", line)
                        if tm:
                            return round(time.mktime(time.strptime(tm.group(1), "%Y/%m/%d %H:%M:%S")) + 0.5 - self.wall0, 1)
        except OSError:
            pass
        return None

    def arrival(self, path, t):
        """When a file first seen at t (seconds after t0) arrived: its modification time (bmx7 creates a
        node's files anew on each description change, so this is never before the content came), not later than t."""
        try:
            return round(min(t, os.stat(path).st_mtime - self.wall0), 3)
        except OSError:
            return round(t, 3)

    def safe_uapi(self, node):
        try:
            return uapi_get(node.ifname)
        except OSError:
            return None

    def sessions(self, snap=None):
        """Pairs of nodes with a handshake (latest handshake > 0), seen from either side; recent: < 180 s."""
        pairs, recent = set(), set()
        now = time.time()
        per_node = {}
        for x in self.nodes:
            peers = (snap or {}).get(x.ns) if snap else self.safe_uapi(x)
            peers = peers or {}
            per_node[x.ns] = len(peers)
            for key, p in peers.items():
                other = self.by_pub.get(key)
                if other and p["handshake"] > 0:
                    pr = tuple(sorted((x.ns, other.ns)))
                    pairs.add(pr)
                    if now - p["handshake"] < 180:
                        recent.add(pr)
        kinds = collections.Counter()
        role = {x.ns: ("gw" if x.gateway else "cl") for x in self.nodes}
        for p_, q_ in pairs:
            kinds["-".join(sorted((role[p_], role[q_])))] += 1
        return {"pairs": len(pairs), "recent_pairs": len(recent), "kinds": dict(kinds),
                "all_pairs": len(self.nodes) * (len(self.nodes) - 1) // 2,
                "traffic_pairs": len(self.clients) * (len(self.gateways) if self.args.gw_net == "split" else 1),
                "peers_per_node": per_node, "pair_list": sorted("%s-%s" % p for p in pairs)}

    # ------------------------------------------------------------------ profiling (after the idle window)

    def profile(self):
        out = os.path.join(self.work, "profile")
        os.makedirs(out, exist_ok=True)
        picks = [self.clients[len(self.clients) // 2], self.gateways[0]]
        java = os.path.realpath("/proc/%d/exe" % picks[0].cryptun.pid)
        bindir = os.path.dirname(java)
        jcmd = os.path.join(bindir, "jcmd")
        jfr = os.path.join(bindir, "jfr")
        res = {}
        for x in picks:
            pid = x.cryptun.pid
            entry = {}
            if os.path.exists(jcmd):
                f = os.path.join(out, "%s-idle.jfr" % x.ns)
                r1 = subprocess.run([jcmd, str(pid), "JFR.start", "name=meshscale", "settings=profile",
                                     "duration=%ds" % self.args.profile_seconds, "filename=" + f],
                                    capture_output=True, text=True, timeout=60)
                entry["jfr_start"] = r1.stdout.strip()[-300:]
                time.sleep(self.args.profile_seconds + 3)
                if os.path.exists(f) and os.path.exists(jfr):
                    with open(os.path.join(out, "%s-jfr-summary.txt" % x.ns), "w") as g:
                        subprocess.run([jfr, "summary", f], stdout=g, stderr=subprocess.STDOUT, timeout=120)
                    with open(os.path.join(out, "%s-jfr-samples.txt" % x.ns), "w") as g:
                        subprocess.run([jfr, "print", "--events", "jdk.ExecutionSample,jdk.NativeMethodSample", "--stack-depth", "12", f],
                                       stdout=g, stderr=subprocess.STDOUT, timeout=120)
                    entry["jfr"] = f
                    entry["jfr_samples"] = self.summarize_jfr(os.path.join(out, "%s-jfr-samples.txt" % x.ns))
            if shutil.which("strace"):
                f = os.path.join(out, "%s-strace.txt" % x.ns)
                subprocess.run(["timeout", "-s", "INT", str(self.args.profile_seconds), "strace", "-f", "-qq", "-y",
                                "-tt", "-o", f, "-p", str(pid)], capture_output=True, timeout=self.args.profile_seconds + 30)
                entry["strace"] = self.summarize_strace(f, x)
            res[x.ns] = entry
        self.result["profile"] = res

    def startup_jfr_summary(self, node):
        f = os.path.join(self.work, "profile", node.ns + "-startup.jfr")
        jfr = os.path.join(os.path.dirname(os.path.realpath("/proc/%d/exe" % node.cryptun.pid)), "jfr")
        if not os.path.exists(f) or not os.path.exists(jfr):
            return
        txt = os.path.join(self.work, "profile", node.ns + "-startup-samples.txt")
        with open(txt, "w") as g:
            subprocess.run([jfr, "print", "--events", "jdk.ExecutionSample", "--stack-depth", "40", f], stdout=g,
                           stderr=subprocess.STDOUT, timeout=300)
        with open(os.path.join(self.work, "profile", node.ns + "-startup-summary.txt"), "w") as g:
            subprocess.run([jfr, "summary", f], stdout=g, stderr=subprocess.STDOUT, timeout=120)
        res = self.summarize_jfr(txt) or {}
        # which top-level activity the samples belong to: the outermost cryptun frame of each stack
        inclusive = collections.Counter()
        try:
            with open(txt, errors="replace") as fh:
                for block in fh.read().split("jdk.ExecutionSample {")[1:]:
                    frames = re.findall(r"^\s{4}(\S.*?) line:", block, re.M)
                    ours = {fr.split("(")[0].replace("io.cryptun.", "") for fr in frames if fr.startswith("io.cryptun")}
                    for m in ours or {"(no cryptun frame)"}:
                        inclusive[m] += 1
        except OSError:
            pass
        # samples whose stack holds the method (inclusive), the most frequent first
        res["inclusive_cryptun_methods"] = dict(inclusive.most_common(25))
        self.result.setdefault("startup_profile", {})[node.ns] = res

    @staticmethod
    def summarize_jfr(path):
        """Execution samples (Java code running) by thread, and by the first cryptun frame (else the top frame)."""
        by_thread, by_frame = collections.Counter(), collections.Counter()
        total = 0
        try:
            with open(path, errors="replace") as f:
                text = f.read()
        except OSError:
            return None
        for block in text.split("jdk.ExecutionSample {")[1:]:
            total += 1
            tm = re.search(r'sampledThread = "([^"]*)"', block)
            by_thread[tm.group(1) if tm else "?"] += 1
            frames = re.findall(r"^\s{4}(\S.*?) line:", block, re.M)
            ours = next((fr for fr in frames if fr.startswith("io.cryptun")), None)
            key = (ours or (frames[0] if frames else "?")).split("(")[0]
            by_frame[key] += 1
        return {"samples": total, "by_thread": dict(by_thread.most_common(10)), "by_frame": dict(by_frame.most_common(15))}

    def summarize_strace(self, path, node):
        calls = collections.Counter()
        opened = collections.Counter()
        threads = collections.Counter()
        try:
            with open(path, errors="replace") as f:
                for line in f:
                    m = re.match(r"(\d+)\s+\S+\s+([a-z_0-9]+)\(", line)
                    if not m:
                        continue
                    calls[m.group(2)] += 1
                    threads[m.group(1)] += 1
                    if m.group(2) in ("openat", "open", "newfstatat", "statx", "stat", "lstat"):
                        pm = re.search(r'"([^"]+)"', line)
                        if pm:
                            p = pm.group(1).replace(node.run, "<run>")
                            p = re.sub(r"[0-9A-F]{56}", "<NODEID>", p)
                            opened["%s %s" % (m.group(2), p)] += 1
        except OSError:
            return None
        names = {}
        for tid in threads:
            try:
                with open("/proc/%d/task/%s/comm" % (node.cryptun.pid, tid)) as f:
                    names[tid] = f.read().strip()
            except OSError:
                names[tid] = "?"
        return {"seconds": self.args.profile_seconds, "syscalls": dict(calls.most_common(25)),
                "files": dict(opened.most_common(40)),
                "syscalls_by_thread": {"%s(%s)" % (names.get(t, "?"), t): c for t, c in threads.most_common(15)}}

    # ------------------------------------------------------------------ logs, environment

    def scan_logs(self):
        """ERROR/WARN lines by pattern and phase: 'start' (the node's first startup-seconds), 'run', 'stop' (after
        the rig's SIGTERM). bmx7 stamps its lines with milliseconds since its start, cryptun with the wall clock."""
        out = {"cryptun": collections.Counter(), "bmx7": collections.Counter()}
        first = {}
        stop = getattr(self, "stop_wall", None)
        for x in self.nodes:
            start = getattr(x, "start_wall", None)
            for which in ("cryptun", "bmx7"):
                p = os.path.join(x.dir, which + ".log")
                try:
                    with open(p, errors="replace") as f:
                        for line in f:
                            m = re.search(r"\b(ERROR|WARN|WARNING)\b", line)
                            if not m:
                                continue
                            level = "WARN" if m.group(1).startswith("WARN") else "ERROR"
                            t = None
                            if which == "bmx7":
                                tm = re.match(r"^\[\s*\d+\s+(\d+)", line)
                                if tm and start:
                                    t = start + int(tm.group(1)) / 1000.0
                            else:
                                tm = re.search(r"(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d)", line)
                                if tm:
                                    t = time.mktime(time.strptime(tm.group(1), "%Y/%m/%d %H:%M:%S"))
                            if t is None or start is None:
                                phase = "?"
                            elif stop and t >= stop - 1:
                                phase = "stop"
                            elif t - start < self.args.startup_seconds:
                                phase = "start"
                            else:
                                phase = "run"
                            msg = line[m.end():].strip()
                            msg = re.sub(r"^\(\S+\)\s+\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\s*", "", msg)
                            key = "%s [%s] %s" % (level, phase, re.sub(
                                r"\b(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}\b|[0-9A-Fa-f]{8,}|\b\d+(\.\d+)*\b|\b(to|v|sc\w*|wg\w*)\d+\b|"
                                r"/tmp/\S+", "#", msg)[:160])
                            out[which][key] += 1
                            first.setdefault((which, key), "%s: %s" % (x.ns, line.strip()[:240]))
                except OSError:
                    pass
        return {w: [{"count": c, "pattern": k, "example": first[(w, k)]} for k, c in out[w].most_common(40)]
                for w in out}

    def environment(self):
        env = {"kernel": os.uname().release, "cpus": os.cpu_count()}
        with open("/proc/meminfo") as f:
            env["mem_total_mb"] = int(f.readline().split()[1]) // 1024
        env["git"] = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"], capture_output=True,
                                    text=True).stdout.strip()
        env["git_subject"] = subprocess.run(["git", "-C", ROOT, "log", "-1", "--format=%s"], capture_output=True,
                                            text=True).stdout.strip()[:120]
        env["jar"] = self.jar
        if self.bmx7_bin:
            env["bmx7"] = self.bmx7_bin
            src = os.path.dirname(os.path.dirname(os.path.abspath(self.bmx7_bin)))
            rev = subprocess.run(["git", "-C", src, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
            env["bmx7_git"] = rev.stdout.strip() if rev.returncode == 0 else None
        return env

    def java_of_cryptun(self):
        for x in self.nodes:
            if x.cryptun and x.cryptun.poll() is None:
                try:
                    exe = os.path.realpath("/proc/%d/exe" % x.cryptun.pid)
                except OSError:
                    continue
                rel = os.path.join(os.path.dirname(os.path.dirname(exe)), "release")
                info = {"java": exe}
                try:
                    with open(rel) as f:
                        for line in f:
                            k, _, v = line.strip().partition("=")
                            if k in ("JAVA_VERSION", "IMPLEMENTOR", "JAVA_RUNTIME_VERSION"):
                                info[k.lower()] = v.strip('"')
                except OSError:
                    pass
                try:
                    with open("/proc/%d/cmdline" % x.cryptun.pid, "rb") as f:
                        info["jvm_args"] = [a_.decode() for a_ in f.read().split(b"\0") if a_.startswith(b"-X") or a_.startswith(b"--")]
                except OSError:
                    pass
                return info
        return None

    # ------------------------------------------------------------------ stop, save

    def stop(self):
        """cryptun first (SIGTERM: it withdraws), then bmx7 and the stand-in; all by PID."""
        self.stop_wall = time.time()
        procs = [x.cryptun for x in self.nodes if x.cryptun]
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        self.wait_all(procs, 25)
        procs2 = [x.bmx7 for x in self.nodes if x.bmx7] + ([self.standin] if self.standin else [])
        for p in procs2:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        self.wait_all(procs2, 10)
        stuck = [p.pid for p in procs + procs2 if p.poll() is None]
        for p in procs + procs2:
            if p.poll() is None:
                p.kill()
        self.wait_all(procs + procs2, 5)
        return stuck

    @staticmethod
    def wait_all(procs, seconds):
        deadline = time.time() + seconds
        for p in procs:
            try:
                p.wait(timeout=max(0.05, deadline - time.time()))
            except subprocess.TimeoutExpired:
                pass

    def save(self, out):
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "results.json"), "w") as f:
            json.dump(self.result, f, indent=1, sort_keys=True, default=str)
        with open(os.path.join(out, "timeseries.tsv"), "w") as f:
            f.write("t_s\tcryptun_cpu_s\tbmx7_cpu_s\tstandin_cpu_s\trig_cpu_s\tmachine_busy_cpu_s\tloadavg1\n")
            for row in self.timeseries:
                f.write("\t".join(str(v) for v in row) + "\n")
        logs = os.path.join(out, "logs")
        os.makedirs(logs, exist_ok=True)
        for x in self.nodes:
            for which in ("cryptun.log", "bmx7.log"):
                p = os.path.join(x.dir, which)
                if os.path.exists(p):
                    shutil.copy(p, os.path.join(logs, "%s-%s" % (x.ns, which)))
        if self.standin:
            p = os.path.join(self.work, "standin.log")
            if os.path.exists(p):
                shutil.copy(p, os.path.join(logs, "standin.log"))
        prof = os.path.join(self.work, "profile")
        if os.path.isdir(prof):
            shutil.copytree(prof, os.path.join(out, "profile"), dirs_exist_ok=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=8)
    ap.add_argument("--gateways", type=int, default=2)
    ap.add_argument("--width", type=int, help="grid width (default: >= sqrt(N), dividing N if possible)")
    ap.add_argument("--chords", nargs="*", help="extra links, e.g. 1-8 3-20 (node numbers)")
    ap.add_argument("--gateway-nodes", help="which nodes are gateways, e.g. 1,12,24 (default: spread, corners first)")
    ap.add_argument("--gw-net", choices=("split", "shared"), default="split",
                    help="split: gateway G offers 10.99.G.0/24 and has 10.99.G.1 on lo, clients ping every gateway; "
                         "shared: every gateway offers 10.99.0.0/16 with 10.99.0.1 on lo, clients ping their chosen one")
    ap.add_argument("--start", choices=("together", "staggered"), default="together")
    ap.add_argument("--stagger-gap", type=float, default=5.0, help="seconds between node starts (staggered)")
    ap.add_argument("--startup-seconds", type=int, default=60, help="the start-up CPU window per process")
    ap.add_argument("--idle-seconds", type=int, default=60)
    ap.add_argument("--idle-windows", type=int, default=1,
                    help="consecutive idle windows of --idle-seconds each (the figures are the last one's; all are kept)")
    ap.add_argument("--settle-seconds", type=int, default=30, help="after convergence, before the idle window")
    ap.add_argument("--converge-timeout", type=int, default=300)
    ap.add_argument("--java", help="java binary for cryptun (CRYPTUN_JAVA); default: the launcher's choice")
    ap.add_argument("--java-opts", help="extra JVM options for cryptun (CRYPTUN_JAVA_OPTS)")
    ap.add_argument("--cryptun-opt", action="append", default=[], help="an extra cryptun mesh argument (repeatable)")
    ap.add_argument("--bmx7-opt", action="append", default=[], help="an extra bmx7 argument (repeatable)")
    ap.add_argument("--no-rig-nice", dest="rig_nice", action="store_false",
                    help="do not raise the rig's own priority (niceness -10) above the daemons'")
    ap.add_argument("--profile", action="store_true", help="after the idle window: JFR + strace of an idle client and gateway")
    ap.add_argument("--profile-seconds", type=int, default=30)
    ap.add_argument("--startup-jfr", action="store_true",
                    help="one client records JFR over its start-up window (left out of the start-up statistics)")
    ap.add_argument("--prefix", default="scr", help="namespace prefix (names PREFIX01..); must start with 'sc'")
    ap.add_argument("--out", help="results directory (default benchmarks/results/mesh-scale-<UTC>-<N>n-<mode>-<start>)")
    ap.add_argument("--work-base", default="/tmp")
    ap.add_argument("--keep-work", action="store_true", help="keep the work directory (state of every node)")
    ap.add_argument("--registry", help=argparse.SUPPRESS)
    ap.add_argument("--cleanup", metavar="REGISTRY", help="only undo what REGISTRY lists, then exit")
    args = ap.parse_args()
    if args.cleanup:
        cleanup_from_registry(args.cleanup)
        return
    if not args.prefix.startswith("sc") or not re.match(r"^[a-z0-9]{2,6}$", args.prefix):
        raise SystemExit("--prefix: 2..6 lower-case letters/digits starting with 'sc'")
    if args.width is not None and args.width < 1:
        raise SystemExit("--width must be positive")
    rig = Rig(args)
    rig.preflight()
    rig.build_topology()

    def on_signal(signum, _frame):
        raise KeyboardInterrupt("signal %d" % signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    out = args.out or os.path.join(ROOT, "benchmarks", "results", "mesh-scale-%s-%dn-%s-%s" % (
        stamp, args.nodes, rig.mode, args.start))
    failed = None
    try:
        rig.run()
        rig.result["meta"]["jdk"] = rig.java_of_cryptun()
    except BaseException as e:  # noqa: B902 - also Ctrl-C and SIGTERM: clean up, keep what was measured
        failed = e
        rig.result["error"] = "%s: %s" % (type(e).__name__, e)
        try:
            rig.result["meta"]["jdk"] = rig.java_of_cryptun()
        except Exception:  # noqa
            pass
    finally:
        stuck = rig.stop()
        rig.result["stuck_on_sigterm"] = stuck
        try:
            rig.result["logs"] = rig.scan_logs()
            rig.save(out)
        finally:
            cleanup_from_registry(rig.registry.path, quiet=True)
    sys.path.insert(0, HERE)
    import summarize  # noqa: E402
    text = summarize.summary(rig.result)
    with open(os.path.join(out, "summary.txt"), "w") as f:
        f.write(text + "\n")
    print(text)
    print("results in " + out)
    if failed:
        if isinstance(failed, KeyboardInterrupt):
            sys.exit(130)
        raise SystemExit("failed: %s" % failed)


if __name__ == "__main__":
    main()
