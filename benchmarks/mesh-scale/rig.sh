#!/usr/bin/env bash
# mesh-scale rig: a cryptun mesh of N namespaces beside real bmx7 (BMX7=/path/to/bmx7) or the stand-in.
#
#   sudo BMX7=/path/to/bmx7 benchmarks/mesh-scale/rig.sh --nodes 24 --gateways 3 [--idle-seconds 60] [--profile]
#   sudo benchmarks/mesh-scale/rig.sh --nodes 8 --gateways 2            # the Java stand-in instead of bmx7
#   benchmarks/mesh-scale/rig.py --help                                 # every option
#
# Needs root, iproute2, wireguard-tools, openssl, python3, cc (for the ip6tnl shim on kernels without
# ip6_tunnel) and the build (mvn -B -q package -DskipTests: the jar, and cli's test classes for the
# stand-in). Results: benchmarks/results/mesh-scale-<UTC>-<N>n-<mode>-<start>/ (summary.txt,
# results.json, timeseries.tsv, logs/). See README.md here.
#
# rig.py removes what it made (namespaces <prefix>NN, UAPI sockets, processes by PID, its work
# directory) itself; this wrapper's EXIT trap runs `rig.py --cleanup` on the registry as well, so a
# rig.py that is killed outright leaves nothing behind either.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
[[ $(id -u) == 0 ]] || { echo "mesh-scale: needs root" >&2; exit 1; }
REG=$(mktemp /tmp/mesh-scale-registry.XXXXXX)
rm -f "$REG"   # rig.py creates it when it creates the first thing
cleanup() {
    trap - EXIT INT TERM HUP
    [[ -e $REG ]] && python3 "$HERE/rig.py" --cleanup "$REG" || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
PYTHONDONTWRITEBYTECODE=1 python3 "$HERE/rig.py" --registry "$REG" "$@" &
pid=$!
# signals to this wrapper go to rig.py (it cleans up and writes what it has), then the trap runs
trap 'kill -TERM $pid 2>/dev/null; wait $pid; exit 130' INT TERM HUP
wait $pid
