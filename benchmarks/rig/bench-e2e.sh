#!/usr/bin/env bash
# bench-e2e.sh — cryptun against wireguard-go, end to end, on one machine, in the same run.
#
#   sudo benchmarks/rig/bench-e2e.sh            (root: namespaces, TUN devices)
#
# Two network namespaces joined by a veth pair (underlay 198.18.0.1/24 <-> 198.18.0.2/24), a tunnel
# between them (100.64.0.1 <-> 100.64.0.2, MTU 1420, pre-shared key on). Each round runs the same
# tests through wireguard-go, then through cryptun (each brought up on both sides with `-f IFNAME`
# and configured with the same `wg set` commands, then torn down again), so slow drifts of the
# machine hit both alike. The iperf3 client runs in A, the server in B; both daemons, both iperf3
# ends and the kernel share the machine's cores.
#
# Tests (TESTS):
#   tcp1 tcp4        iperf3 TCP, 1 and 4 streams: goodput Mbit/s, daemon CPU seconds per GB delivered
#   udp1392 udp64    iperf3 UDP at -b 0 (unlimited) with 1392-byte (= 1420-byte inner packets) and
#                    64-byte payloads: delivered kpps and Mbit/s, loss %, CPU s/GB
#   ping             PING_COUNT x 56-byte ICMP at 5 ms: average RTT
#   pinghops         (not in the default set) the ping test with captures on both tunnel and both
#                    underlay interfaces: each hop's median, in <impl>-pinghops-r<round>.txt
#   handshake        HS_RUNS x: peer removed and re-added on both sides, then one ping: its RTT
#                    includes the whole handshake (the packet waits for it)
#   hshops           (not in the default set) the handshake test with the four captures of pinghops:
#                    each ping's handshake hop by hop, in <impl>-hshops-r<round>.txt
#   coldstart        (not in the default set) fresh daemons on both sides, configured with `wg set`
#                    as soon as their sockets appear, one ping at once (its RTT includes the handshake
#                    and whatever the fresh process still has to load or compile), then iperf3 TCP for
#                    COLD_SECONDS with per-second goodput: first-2-s / last-3-s ratio, daemon CPU in
#                    the whole cold run, then idle RSS after IDLE_SETTLE s (and daemon A's by kind,
#                    rss-by-kind.py: <impl>-rss-by-kind-r<round>.txt). Runs before the warmed-up
#                    phase of each round, with its own daemons.
# Per implementation and round also: idle RSS with one peer (both daemons, after IDLE_SETTLE s,
# before any traffic) and peak RSS (VmHWM, after the tests). Finally, once per implementation: idle
# RSS with PEERS configured (default 10000, random keys, one /32 and one /128 each, `wg setconf`).
#
# Knobs (environment):
#   RUNS=3 DURATION=10      rounds; seconds per iperf3 test
#   TESTS="tcp1 tcp4 udp1392 udp64 ping handshake"
#   IMPLS="wireguard-go cryptun"   which implementations (and in which order within a round)
#   JAVA=                   JDK directory or java binary for the cryptun daemon (default: the ./cryptun
#                           launcher's choice, the newest JDK under /usr/lib/jvm)
#   CRYPTUN_OPTS=           extra options for cryptun, e.g. "--crypto bc"
#   CRYPTUN_JAVA_OPTS=      extra JVM options (passed through by the launcher), e.g. a JFR recording
#   CRYPTUN_JIT=            quick or optimizing: the launcher's JIT choice overridden (inherited by the daemons)
#   DAEMON_CPUS=            pin both daemons (either implementation) to these CPUs with taskset, e.g.
#                           DAEMON_CPUS=0 for one core; iperf3 and the kernel's own work stay unpinned
#   WARMUP=3                seconds of untimed TCP traffic after bring-up (JIT warm-up; both impls)
#   HS_RUNS=5 PING_COUNT=200 IDLE_SETTLE=5
#   COLD_HOPS=0             1: the cold start's first ping captured like hshops, in
#                           <impl>-coldhops-r<round>.txt (the captures' start delays that ping ~0.2 s)
#   COLD_PING_DELAY=0       seconds between configuring the cold daemons and their first ping (what
#                           a fresh process costs, apart from what a just-configured peer costs)
#   PEERS=10000             peers for the many-peers RSS measurement (0 skips it)
#   OUT=benchmarks/results/e2e-<UTC time>   raw.tsv, summary.md, iperf3 JSON, daemon logs
#   MVN="mvn -B -q -o"      used to build the cryptun jar when it is missing or stale
#
# Everything it creates is named ctbn<tag>… (namespaces ctbn<tag>A/B, interfaces ctbn<tag>a/b, veth
# ctbn<tag>va/vb) and removed by exact name, processes by PID, on exit and on Ctrl-C.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
RUNS=${RUNS:-3} DURATION=${DURATION:-10}
TESTS=${TESTS:-"tcp1 tcp4 udp1392 udp64 ping handshake"}
IMPLS=${IMPLS:-"wireguard-go cryptun"}
WARMUP=${WARMUP:-3} HS_RUNS=${HS_RUNS:-5} PING_COUNT=${PING_COUNT:-200} IDLE_SETTLE=${IDLE_SETTLE:-5}
PEERS=${PEERS:-10000}
COLD_SECONDS=${COLD_SECONDS:-10} COLD_HOPS=${COLD_HOPS:-0} COLD_PING_DELAY=${COLD_PING_DELAY:-0}
CRYPTUN_OPTS=${CRYPTUN_OPTS:-}
DAEMON_CPUS=${DAEMON_CPUS:-}
PIN=()
[[ -n $DAEMON_CPUS ]] && PIN=(taskset -c "$DAEMON_CPUS")
MVN=${MVN:-mvn -B -q -o}
OUT=${OUT:-$ROOT/benchmarks/results/e2e-$(date -u +%Y%m%dT%H%M%SZ)}

TAG=$(printf '%04x' $(($$ % 65536)))
NS_A=ctbn${TAG}A NS_B=ctbn${TAG}B
IF_A=ctbn${TAG}a IF_B=ctbn${TAG}b
VETH_A=ctbn${TAG}va VETH_B=ctbn${TAG}vb
U4_A=198.18.0.1 U4_B=198.18.0.2
T4_A=100.64.0.1 T4_B=100.64.0.2
T6_A=fd99::1 T6_B=fd99::2
PORT_A=51820 PORT_B=51821
SOCKDIR=/var/run/wireguard
HZ=$(getconf CLK_TCK)

# Messages go to the script's own stderr, kept as fd 3: a trap can run while a command's output is
# redirected to a file (see run_waiting), and its message belongs on the terminal.
exec 3>&2
log() { printf '[bench-e2e %s] %s\n' "$(date +%H:%M:%S)" "$*" >&3; }
die() { log "ERROR: $*"; exit 1; }
inA() { ip netns exec "$NS_A" "$@"; }
inB() { ip netns exec "$NS_B" "$@"; }

# ---------------------------------------------------------------- preconditions
[[ $(id -u) == 0 ]] || die "needs root (network namespaces, TUN devices)"
for c in ip wg iperf3 ping python3; do command -v "$c" >/dev/null || die "$c missing (apt-get install iproute2 wireguard-tools iperf3 iputils-ping python3)"; done
for impl in $IMPLS; do
    case $impl in
        wireguard-go) command -v wireguard-go >/dev/null || die "wireguard-go missing (apt-get install wireguard-go)" ;;
        cryptun) ;;
        *) die "unknown implementation '$impl' (wireguard-go, cryptun)" ;;
    esac
done
[[ -c /dev/net/tun ]] || die "/dev/net/tun missing"

CRYPTUN_JAVA_BIN=
if [[ -n ${JAVA:-} ]]; then
    if [[ -d $JAVA ]]; then CRYPTUN_JAVA_BIN=$JAVA/bin/java; else CRYPTUN_JAVA_BIN=$JAVA; fi
    [[ -x $CRYPTUN_JAVA_BIN ]] || die "JAVA=$JAVA: no java binary there"
fi
if [[ " $IMPLS " == *" cryptun "* ]]; then
    jar=$(ls "$ROOT"/cli/target/cli-*-all.jar 2>/dev/null | head -1 || true)
    stale=
    [[ -n $jar ]] && stale=$(find "$ROOT"/{noise-tunnel,tun-device,cli}/src/main "$ROOT"/{noise-tunnel,tun-device,cli}/pom.xml \
        "$ROOT/pom.xml" -type f -newer "$jar" -print -quit 2>/dev/null || true)
    if [[ -z $jar || -n $stale ]]; then
        log "building the cryptun jar"
        (cd "$ROOT" && $MVN -pl cli -am package -DskipTests) || die "build failed"
    fi
    ls "$ROOT"/cli/target/cli-*-all.jar >/dev/null 2>&1 || die "no cli/target/cli-*-all.jar after the build"
fi

mkdir -p "$OUT"
STATE=$(mktemp -d /run/ctbn-e2e.XXXXXX)
chmod 700 "$STATE"
RAW=$OUT/raw.tsv
printf 'round\timpl\ttest\tmetric\tvalue\n' >"$RAW"

# ---------------------------------------------------------------- cleanup (exact names, PIDs)
PIDS=()   # every long-running process this script started
cleanup() {
    local rc=$? p
    trap - EXIT INT TERM
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && kill "$p" 2>/dev/null || true; done
    for _ in $(seq 1 50); do
        local alive=0
        for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
        ((alive)) || break
        sleep 0.1
    done
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && { log "SIGKILL $p"; kill -9 "$p" 2>/dev/null || true; }; done
    for ns in "$NS_A" "$NS_B"; do
        ip netns list | awk '{print $1}' | grep -qx "$ns" && ip netns del "$ns"
    done
    rm -f "$SOCKDIR/$IF_A.sock" "$SOCKDIR/$IF_B.sock"
    rm -rf "$STATE"
    exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

forget_pid() {
    local p=$1 i
    for i in "${!PIDS[@]}"; do
        if [[ ${PIDS[$i]} == "$p" ]]; then unset 'PIDS[i]'; fi
    done
}

# Runs "$@" as a background child and waits for it: bash runs a trap only after a foreground
# command ends, but interrupts `wait` at once, so Ctrl-C/SIGTERM cleans up without waiting for a
# 10-second iperf3 run. The child is in PIDS meanwhile, so the cleanup ends it too.
run_waiting() {
    "$@" 3>&- &
    local p=$! rc=0
    PIDS+=("$p")
    wait "$p" || rc=$?
    forget_pid "$p"
    return "$rc"
}

stop_pid() { # pid: SIGTERM, wait up to 10 s, SIGKILL
    local p=$1
    kill -0 "$p" 2>/dev/null && kill "$p" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && { log "SIGKILL $p"; kill -9 "$p" 2>/dev/null || true; }
    wait "$p" 2>/dev/null || true
    forget_pid "$p"
}

# ---------------------------------------------------------------- underlay + keys
setup_underlay() {
    ip netns add "$NS_A"; ip netns add "$NS_B"
    ip link add "$VETH_A" netns "$NS_A" type veth peer name "$VETH_B" netns "$NS_B"
    inA ip link set lo up; inB ip link set lo up
    inA ip addr add "$U4_A/24" dev "$VETH_A"; inB ip addr add "$U4_B/24" dev "$VETH_B"
    inA ip link set "$VETH_A" up; inB ip link set "$VETH_B" up
    (umask 077
     wg genkey >"$STATE/a.key"; wg pubkey <"$STATE/a.key" >"$STATE/a.pub"
     wg genkey >"$STATE/b.key"; wg pubkey <"$STATE/b.key" >"$STATE/b.pub"
     wg genpsk >"$STATE/psk")
    PUB_A=$(cat "$STATE/a.pub") PUB_B=$(cat "$STATE/b.pub")
}

# ---------------------------------------------------------------- daemons
wait_socket() { # ifname pid
    local s=$SOCKDIR/$1.sock
    for _ in $(seq 1 300); do
        [[ -S $s ]] && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

DAEMON_PID=
start_daemon() { # impl ns ifname logfile -> DAEMON_PID (not in $(...): the PID list must stay in this shell)
    local impl=$1 ns=$2 ifn=$3 logf=$4 pid
    [[ -e $SOCKDIR/$ifn.sock ]] && rm -f "$SOCKDIR/$ifn.sock"
    mkdir -p "$SOCKDIR"
    # ip netns exec, env and the launcher all exec: $! is the daemon's own PID
    if [[ $impl == wireguard-go ]]; then
        ip netns exec "$ns" "${PIN[@]}" env LOG_LEVEL=error wireguard-go -f "$ifn" >"$logf" 2>&1 3>&- &
    else
        local envs=(LOG_LEVEL=info)
        [[ -n $CRYPTUN_JAVA_BIN ]] && envs+=(CRYPTUN_JAVA="$CRYPTUN_JAVA_BIN")
        [[ -n ${CRYPTUN_JAVA_OPTS:-} ]] && envs+=(CRYPTUN_JAVA_OPTS="$CRYPTUN_JAVA_OPTS")
        # shellcheck disable=SC2086
        ip netns exec "$ns" "${PIN[@]}" env "${envs[@]}" "$ROOT/cryptun" -f "$ifn" $CRYPTUN_OPTS >"$logf" 2>&1 3>&- &
    fi
    pid=$!
    PIDS+=("$pid")
    if ! wait_socket "$ifn" "$pid"; then
        log "$impl $ifn did not create its socket; log:"; tail -20 "$logf" >&2
        return 1
    fi
    DAEMON_PID=$pid
}

configure_pair() {
    inA ip addr add "$T4_A/24" dev "$IF_A"; inA ip addr add "$T6_A/64" dev "$IF_A" nodad
    inB ip addr add "$T4_B/24" dev "$IF_B"; inB ip addr add "$T6_B/64" dev "$IF_B" nodad
    inA ip link set "$IF_A" up; inB ip link set "$IF_B" up
    inA wg set "$IF_A" listen-port "$PORT_A" private-key "$STATE/a.key" \
        peer "$PUB_B" preshared-key "$STATE/psk" endpoint "$U4_B:$PORT_B" allowed-ips "$T4_B/32,$T6_B/128"
    inB wg set "$IF_B" listen-port "$PORT_B" private-key "$STATE/b.key" \
        peer "$PUB_A" preshared-key "$STATE/psk" endpoint "$U4_A:$PORT_A" allowed-ips "$T4_A/32,$T6_A/128"
}

cpu_ticks() { # utime+stime of the given pids, all threads, in clock ticks
    local t=0 p
    for p in "$@"; do
        [[ -r /proc/$p/stat ]] || continue
        # fields after "pid (comm) ": state is $1, utime $12, stime $13
        t=$((t + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')))
    done
    echo "$t"
}

status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
max_mb() { # key pid... -> largest value in MB
    local key=$1 best=0 v p; shift
    for p in "$@"; do v=$(status_kb "$p" "$key"); [[ -n $v && $v -gt $best ]] && best=$v; done
    awk -v k="$best" 'BEGIN{printf "%.1f", k/1024}'
}

record() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RAW"; }

# ---------------------------------------------------------------- tests
IPERF_PID=
start_iperf_server() {
    ip netns exec "$NS_B" iperf3 -s -p 5201 >"$OUT/iperf3-server.log" 2>&1 3>&- &
    IPERF_PID=$!
    PIDS+=("$IPERF_PID")
    for _ in $(seq 1 50); do inB ss -ltn 2>/dev/null | grep -q ':5201 ' && return 0; sleep 0.1; done
    die "iperf3 server did not start"
}

iperf_test() { # round impl test daemon-pids...
    local round=$1 impl=$2 test=$3; shift 3
    local args j c0 c1 ok=0 try
    case $test in
        tcp1) args=(-t "$DURATION") ;;
        tcp4) args=(-t "$DURATION" -P 4) ;;
        udp1392) args=(-u -b 0 -l 1392 -t "$DURATION") ;;
        udp64) args=(-u -b 0 -l 64 -t "$DURATION") ;;
    esac
    j=$OUT/$impl-$test-r$round.json
    for try in 1 2 3; do
        c0=$(cpu_ticks "$@")
        if run_waiting timeout $((DURATION + 30)) ip netns exec "$NS_A" iperf3 -c "$T4_B" -p 5201 -J "${args[@]}" >"$j" 2>"$j.err"; then
            ok=1; break
        fi
        log "$impl $test round $round: iperf3 failed (try $try): $(grep -m1 -o '"error":.*' "$j" 2>/dev/null || tail -c 200 "$j.err")"
        sleep 2
    done
    c1=$(cpu_ticks "$@")
    ((ok)) || { record "$round" "$impl" "$test" failed 1; return 0; }
    python3 - "$j" "$round" "$impl" "$test" "$(( c1 - c0 ))" "$HZ" >>"$RAW" <<'PY'
import json, sys
path, rnd, impl, test, ticks, hz = sys.argv[1:7]
d = json.load(open(path))
end = d["end"]
cpu_s = int(ticks) / int(hz)
out = []
if test.startswith("tcp"):
    r = end["sum_received"]
    out += [("mbps", r["bits_per_second"] / 1e6)]
    gb = r["bytes"] / 1e9
else:
    # delivered = what the server received (its byte count / block size); sent = the client's count.
    # The server's own lost_packets misses the tail of the burst that never arrived, so loss is
    # computed from the two counts.
    r = end["sum_received"]
    blk = d["start"]["test_start"]["blksize"]
    delivered = r["bytes"] / blk
    sent = end["sum_sent"]["packets"] if "packets" in end["sum_sent"] else end["sum"]["packets"]
    secs = r["seconds"]
    out += [("mbps", r["bits_per_second"] / 1e6), ("kpps", delivered / secs / 1e3),
            ("loss_pct", 100 * (1 - delivered / sent) if sent else float("nan"))]
    gb = delivered * blk / 1e9
out += [("cpu_s_per_gb", cpu_s / gb if gb > 0 else float("nan")), ("cpu_pct", 100 * cpu_s / r["seconds"])]
for metric, value in out:
    print(f"{rnd}\t{impl}\t{test}\t{metric}\t{value:.4f}")
PY
}

run_pings() { # PING_COUNT pings at 5 ms from A to B through the tunnel, output in $STATE/ping.out
    run_waiting ip netns exec "$NS_A" ping -n -q -c "$PING_COUNT" -i 0.005 -W 2 "$T4_B" >"$STATE/ping.out" 2>&1 || true
}

ping_test() { # round impl
    local r
    run_pings
    r=$(awk -F' = ' '/^rtt/{print $2}' "$STATE/ping.out" | cut -d' ' -f1)
    [[ -n $r ]] || { record "$1" "$2" ping failed 1; return 0; }
    IFS=/ read -r mn avg mx mdev <<<"$r"
    record "$1" "$2" ping rtt_avg_ms "$avg"
    record "$1" "$2" ping rtt_max_ms "$mx"
}

HOPS_CAPS=()
start_hop_captures() { # tcpdump on both tunnel interfaces (ICMP) and both underlay interfaces (UDP)
    local f side ifn proto ns
    HOPS_CAPS=()
    for f in "A $IF_A icmp" "A $VETH_A udp" "B $VETH_B udp" "B $IF_B icmp"; do
        read -r side ifn proto <<<"$f"
        ns=$NS_A; [[ $side == B ]] && ns=$NS_B
        ip netns exec "$ns" tcpdump -i "$ifn" -n -s 256 --immediate-mode -U --time-stamp-precision=nano \
            -w "$STATE/hops-$ifn.pcap" "$proto" >"$STATE/hops-$ifn.log" 2>&1 3>&- &
        PIDS+=("$!"); HOPS_CAPS+=("$!")
    done
    for f in "$IF_A" "$VETH_A" "$VETH_B" "$IF_B"; do
        for _ in $(seq 1 50); do grep -q "listening on" "$STATE/hops-$f.log" 2>/dev/null && break; sleep 0.1; done
    done
}

stop_hop_captures() { # out-file [--handshake]: stops the captures, ping-hops.py's analysis into out-file
    local p
    sleep 0.5
    for p in "${HOPS_CAPS[@]}"; do stop_pid "$p"; done
    "$HERE/ping-hops.py" ${2:+"$2"} "$STATE/hops-$IF_A.pcap" "$STATE/hops-$VETH_A.pcap" "$STATE/hops-$VETH_B.pcap" \
        "$STATE/hops-$IF_B.pcap" "$U4_A" "$U4_B" >"$1" 2>&1 || true
    sed "s/^/  $(basename "$1" .txt): /" "$1" >&2
}

pinghops_test() { # round impl: the ping test with four captures, then each hop's median (ping-hops.py)
    start_hop_captures
    run_pings
    stop_hop_captures "$OUT/$2-pinghops-r$1.txt"
}

handshake_test() { # round impl [hops]: with hops, captured and split into hops (ping-hops.py --handshake)
    local i o t
    [[ -n ${3:-} ]] && start_hop_captures
    for i in $(seq 1 "$HS_RUNS"); do
        inA wg set "$IF_A" peer "$PUB_B" remove; inB wg set "$IF_B" peer "$PUB_A" remove
        inB wg set "$IF_B" peer "$PUB_A" preshared-key "$STATE/psk" endpoint "$U4_A:$PORT_A" allowed-ips "$T4_A/32,$T6_A/128"
        inA wg set "$IF_A" peer "$PUB_B" preshared-key "$STATE/psk" endpoint "$U4_B:$PORT_B" allowed-ips "$T4_B/32,$T6_B/128"
        if o=$(inA ping -n -c1 -W3 "$T4_B" 2>&1); then
            t=$(sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' <<<"$o")
            record "$1" "$2" handshake first_ping_ms "$t"
        else
            record "$1" "$2" handshake failed 1
        fi
        sleep 0.3
    done
    [[ -n ${3:-} ]] && stop_hop_captures "$OUT/$2-hshops-r$1.txt" --handshake
    return 0
}

daemon_info() { # pid -> one line: the binary and, for java, its version
    local exe; exe=$(readlink "/proc/$1/exe" 2>/dev/null || echo "?")
    if [[ $exe == */java ]]; then echo "$exe ($("$exe" -version 2>&1 | head -1))"; else echo "$exe"; fi
}

ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# fresh daemons, configured at once, used at once: what a user meets after `wg-quick up` or a restart
coldstart_phase() { # round impl
    local round=$1 impl=$2 pa pb t0 o t j c1
    log "round $round: $impl cold start"
    record "$round" "$impl" env loadavg_1m "$(cut -d' ' -f1 /proc/loadavg)"
    start_iperf_server
    t0=$(date +%s%N)
    start_daemon "$impl" "$NS_A" "$IF_A" "$OUT/$impl-A-cold-r$round.log" || die "$impl did not start in $NS_A"
    pa=$DAEMON_PID
    start_daemon "$impl" "$NS_B" "$IF_B" "$OUT/$impl-B-cold-r$round.log" || die "$impl did not start in $NS_B"
    pb=$DAEMON_PID
    record "$round" "$impl" coldstart sockets_ms "$(ms_since "$t0")"
    configure_pair
    record "$round" "$impl" coldstart configured_ms "$(ms_since "$t0")"
    ((COLD_HOPS)) && start_hop_captures
    [[ $COLD_PING_DELAY == 0 ]] || sleep "$COLD_PING_DELAY"
    if o=$(inA ping -n -c1 -W5 "$T4_B" 2>&1); then
        t=$(sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' <<<"$o")
        record "$round" "$impl" coldstart first_ping_ms "$t"
    else
        record "$round" "$impl" coldstart failed 1
    fi
    ((COLD_HOPS)) && stop_hop_captures "$OUT/$impl-coldhops-r$round.txt" --handshake
    j=$OUT/$impl-coldstart-r$round.json
    if run_waiting timeout $((COLD_SECONDS + 30)) ip netns exec "$NS_A" iperf3 -c "$T4_B" -p 5201 -J -i 1 -t "$COLD_SECONDS" >"$j" 2>"$j.err"; then
        c1=$(cpu_ticks "$pa" "$pb")
        python3 - "$j" "$round" "$impl" >>"$RAW" <<'PY'
import json, sys
path, rnd, impl = sys.argv[1:4]
d = json.load(open(path))
per_s = [iv["sum"]["bits_per_second"] / 1e6 for iv in d["intervals"]]
for i, v in enumerate(per_s):
    print(f"{rnd}\t{impl}\tcoldstart\ttcp_s{i + 1}_mbps\t{v:.1f}")
if len(per_s) >= 5:
    first2 = sum(per_s[:2]) / 2
    last3 = sum(per_s[-3:]) / 3
    print(f"{rnd}\t{impl}\tcoldstart\ttcp_first2s_mbps\t{first2:.1f}")
    print(f"{rnd}\t{impl}\tcoldstart\ttcp_last3s_mbps\t{last3:.1f}")
    print(f"{rnd}\t{impl}\tcoldstart\ttcp_first2_over_last3\t{first2 / last3 if last3 else float('nan'):.3f}")
PY
        record "$round" "$impl" coldstart cpu_s_start_to_end "$(awk -v t="$c1" -v hz="$HZ" 'BEGIN{printf "%.2f", t/hz}')"
    else
        record "$round" "$impl" coldstart tcp_failed 1
    fi
    run_waiting sleep "$IDLE_SETTLE"
    record "$round" "$impl" coldstart idle_rss_mb_after "$(max_mb VmRSS "$pa" "$pb")"
    # where it is: daemon A's resident memory by kind (cache, libjvm, heaps, code ...)
    python3 "$HERE/rss-by-kind.py" "$pa" >"$OUT/$impl-rss-by-kind-r$round.txt" 2>&1 || true
    stop_pid "$IPERF_PID"
    stop_pid "$pa"; stop_pid "$pb"
    rm -f "$SOCKDIR/$IF_A.sock" "$SOCKDIR/$IF_B.sock"
}

# one implementation, one round: up, tests, down
run_phase() { # round impl
    local round=$1 impl=$2 pa pb
    log "round $round: $impl up"
    # the machine may be shared: what else was running shows in the 1-minute load average
    record "$round" "$impl" env loadavg_1m "$(cut -d' ' -f1 /proc/loadavg)"
    start_daemon "$impl" "$NS_A" "$IF_A" "$OUT/$impl-A-r$round.log" || die "$impl did not start in $NS_A"
    pa=$DAEMON_PID
    start_daemon "$impl" "$NS_B" "$IF_B" "$OUT/$impl-B-r$round.log" || die "$impl did not start in $NS_B"
    pb=$DAEMON_PID
    configure_pair
    local ok=0
    for _ in 1 2 3 4 5; do inA ping -n -c1 -W2 "$T4_B" >/dev/null 2>&1 && { ok=1; break; }; done
    ((ok)) || die "$impl: no ping through the tunnel; see $OUT/$impl-*-r$round.log"
    [[ $round == 1 ]] && echo "$impl daemon: $(daemon_info "$pa")" >>"$OUT/meta.txt"
    run_waiting sleep "$IDLE_SETTLE"
    record "$round" "$impl" rss idle_rss_mb "$(max_mb VmRSS "$pa" "$pb")"
    start_iperf_server
    if ((WARMUP > 0)); then
        run_waiting timeout $((WARMUP + 30)) ip netns exec "$NS_A" iperf3 -c "$T4_B" -p 5201 -t "$WARMUP" >/dev/null 2>&1 || true
        sleep 1
    fi
    for test in $TESTS; do
        case $test in
            coldstart) continue ;;
            tcp1|tcp4|udp1392|udp64) iperf_test "$round" "$impl" "$test" "$pa" "$pb" ;;
            ping) ping_test "$round" "$impl" ;;
            pinghops) pinghops_test "$round" "$impl" ;;
            handshake) handshake_test "$round" "$impl" ;;
            hshops) handshake_test "$round" "$impl" hops ;;
            *) die "unknown test '$test'" ;;
        esac
        log "round $round: $impl $test done"
        sleep 1
    done
    record "$round" "$impl" rss peak_rss_mb "$(max_mb VmHWM "$pa" "$pb")"
    stop_pid "$IPERF_PID"
    stop_pid "$pa"; stop_pid "$pb"
    rm -f "$SOCKDIR/$IF_A.sock" "$SOCKDIR/$IF_B.sock"
}

# many peers on one interface, no traffic: what the configuration alone costs
many_peers_phase() { # impl
    local impl=$1 pa conf t0 t1 n
    conf=$STATE/many.conf
    log "$impl with $PEERS peers"
    python3 - "$PEERS" "$STATE/a.key" >"$conf" <<'PY'
import base64, os, sys
n = int(sys.argv[1])
print("[Interface]\nPrivateKey = " + open(sys.argv[2]).read().strip() + "\nListenPort = 51820\n")
for i in range(n):
    key = base64.b64encode(os.urandom(32)).decode()
    print(f"[Peer]\nPublicKey = {key}\nAllowedIPs = 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}/32, fd10::{i >> 16 & 0xffff:x}:{i & 0xffff:x}/128\n")
PY
    start_daemon "$impl" "$NS_A" "$IF_A" "$OUT/$impl-many-peers.log" || die "$impl did not start"
    pa=$DAEMON_PID
    record 0 "$impl" peers_idle idle_rss_mb_before "$(max_mb VmRSS "$pa")"
    t0=$(date +%s%N)
    inA wg setconf "$IF_A" "$conf" || die "$impl: wg setconf with $PEERS peers failed"
    t1=$(date +%s%N)
    n=$(inA wg show "$IF_A" peers | wc -l)
    [[ $n == "$PEERS" ]] || log "WARNING: $impl shows $n peers, expected $PEERS"
    record 0 "$impl" peers_idle setconf_s "$(awk -v n=$((t1 - t0)) 'BEGIN{printf "%.2f", n/1e9}')"
    run_waiting sleep $((IDLE_SETTLE * 2))
    record 0 "$impl" peers_idle idle_rss_mb "$(max_mb VmRSS "$pa")"
    record 0 "$impl" peers_idle peak_rss_mb "$(max_mb VmHWM "$pa")"
    stop_pid "$pa"
    rm -f "$SOCKDIR/$IF_A.sock" "$conf"
}

# ---------------------------------------------------------------- main
{
    echo "date_utc $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "host $(uname -n) kernel $(uname -r) cpu $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1) x $(nproc)"
    echo "loadavg_start $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "knobs RUNS=$RUNS DURATION=$DURATION TESTS=\"$TESTS\" IMPLS=\"$IMPLS\" WARMUP=$WARMUP HS_RUNS=$HS_RUNS PING_COUNT=$PING_COUNT PEERS=$PEERS DAEMON_CPUS=${DAEMON_CPUS:-all}"
    echo "cryptun JAVA=${JAVA:-launcher default} CRYPTUN_OPTS=\"$CRYPTUN_OPTS\" CRYPTUN_JAVA_OPTS=\"${CRYPTUN_JAVA_OPTS:-}\""
    echo "git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo -dirty)"
    command -v wireguard-go >/dev/null && echo "wireguard-go $(wireguard-go --version 2>/dev/null | head -1 | awk '{print $2}')"
    echo "iperf3 $(iperf3 --version | head -1 | awk '{print $2}')"
} >"$OUT/meta.txt"

setup_underlay
log "namespaces $NS_A/$NS_B up; results in $OUT"
for round in $(seq 1 "$RUNS"); do
    if [[ " $TESTS " == *" coldstart "* ]]; then
        for impl in $IMPLS; do coldstart_phase "$round" "$impl"; done
    fi
    warm=${TESTS//coldstart/}
    if [[ -n ${warm// /} ]]; then
        for impl in $IMPLS; do run_phase "$round" "$impl"; done
    fi
done
if ((PEERS > 0)); then
    for impl in $IMPLS; do many_peers_phase "$impl"; done
fi
python3 "$HERE/summarize-e2e.py" "$OUT" | tee "$OUT/summary.md"
log "done; raw values in $RAW"
