#!/usr/bin/env bash
# run-jmh.sh — runs the whole JMH suite on one or more JDKs, with `openssl speed` as the yardstick.
#
#   benchmarks/run-jmh.sh [--smoke] [-- JMH-ARGS...]
#
# Builds benchmarks/target/benchmarks.jar when it is missing or older than the sources, then for
# each JDK in $JAVA: `openssl speed -evp chacha20-poly1305 -bytes 1420` (OPENSSL_RUNS times, in the
# same run, so the machine's state is the same), then every benchmark, JSON results under
# benchmarks/results/<UTC time>/ (jmh-<jdk>.json, openssl.tsv, meta.txt), and a summary table
# (summary.md, also printed).
#
# --smoke        1 fork, 1 warm-up of 100 ms, 1 measurement of 100 ms each (proves it runs; the
#                numbers are meaningless), openssl for 1 s once
# JMH-ARGS       passed to JMH, e.g. -- 'TransportCipher' -p size=1420   (a regex selects benchmarks)
#
# Env knobs:
#   JAVA          JDK directories or java binaries, space-separated
#                 (default: /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/temurin-25-jdk-amd64, those present)
#   SODIUM=auto|0|1  also measure the libsodium backend (auto: when libsodium is installed)
#   LIBCRYPTO=auto|0  also measure the openssl backend (libcrypto through java.lang.foreign) on
#                 JDK 22 and later (auto: when libcrypto.so.3 is installed)
#   OPENSSL_RUNS=3   OPENSSL_SECONDS=3
#   PROF_GC=1     add JMH's GC profiler (bytes allocated per operation); off in --smoke
#   OUT           results directory (default benchmarks/results/<UTC time>)
#   MVN           build command prefix (default: mvn -B -q -o)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
JAR=$HERE/target/benchmarks.jar

SMOKE=0
JMH_ARGS=()
while (($#)); do
    case $1 in
        --smoke) SMOKE=1 ;;
        --) shift; JMH_ARGS=("$@"); break ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed 's/^# \{0,1\}//; /^set -euo/d'; exit 0 ;;
        *) echo "run-jmh.sh: unknown argument '$1' (use -- before JMH arguments)" >&2; exit 2 ;;
    esac
    shift
done

if [[ -z ${JAVA:-} ]]; then
    JAVA=""
    for d in /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/temurin-25-jdk-amd64; do
        [[ -x $d/bin/java ]] && JAVA="$JAVA $d"
    done
    [[ -n $JAVA ]] || JAVA=$(command -v java || true)
fi
[[ -n ${JAVA// } ]] || { echo "run-jmh.sh: no JDK found; set JAVA" >&2; exit 1; }
OPENSSL_RUNS=${OPENSSL_RUNS:-3}
OPENSSL_SECONDS=${OPENSSL_SECONDS:-3}
if ((SMOKE)); then OPENSSL_RUNS=1 OPENSSL_SECONDS=1; fi
MVN=${MVN:-mvn -B -q -o}
OUT=${OUT:-$HERE/results/$(date -u +%Y%m%dT%H%M%SZ)$( ((SMOKE)) && echo -smoke || true)}
command -v python3 >/dev/null || { echo "run-jmh.sh: python3 is needed for the summary" >&2; exit 1; }

# ---- build when needed ----
newest_source=$(find "$HERE/src/main" "$HERE/pom.xml" "$ROOT/noise-tunnel/src/main" "$ROOT/noise-tunnel/pom.xml" \
    "$ROOT/pom.xml" -type f -newer "$JAR" -print -quit 2>/dev/null || true)
if [[ ! -f $JAR || -n $newest_source ]]; then
    echo "# building $JAR" >&2
    (cd "$ROOT" && $MVN -pl benchmarks -am package -DskipTests)
fi

java_bin() { if [[ -d $1 ]]; then echo "$1/bin/java"; else echo "$1"; fi; }
java_major() {
    "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p'
}
java_label() { # e.g. jdk17-openjdk, jdk25-temurin
    local vendor
    vendor=$("$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.vendor = \(.*\)/\1/p' | tr 'A-Z' 'a-z')
    case $vendor in
        *adoptium*|*eclipse*) vendor=temurin ;;
        *debian*|*ubuntu*|*oracle*|*openjdk*) vendor=openjdk ;;
        *) vendor=$(echo "$vendor" | tr -cd 'a-z0-9' | cut -c1-12) ;;
    esac
    echo "jdk$(java_major "$1")-$vendor"
}

sodium_available() { ldconfig -p 2>/dev/null | grep -q 'libsodium\.so'; }
libcrypto_available() { ldconfig -p 2>/dev/null | grep -q 'libcrypto\.so\.3'; }
BACKENDS="jdk,bc"
case ${SODIUM:-auto} in
    1) BACKENDS="jdk,bc,sodium" ;;
    auto) sodium_available && BACKENDS="jdk,bc,sodium" ;;
esac

mkdir -p "$OUT"
{
    echo "date_utc $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "host $(uname -n) kernel $(uname -r)"
    echo "cpu $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1) x $(nproc)"
    echo "cpu_flags $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|avx512f|avx512ifma|avx512vl)$' | tr '\n' ' ')"
    echo "loadavg_start $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "openssl $(openssl version 2>/dev/null || echo missing)"
    echo "mode $( ((SMOKE)) && echo smoke || echo full)"
    echo "backends $BACKENDS"
    echo "jmh_args ${JMH_ARGS[*]:-}"
    echo "git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo -dirty)"
} >"$OUT/meta.txt"

# openssl speed -mr prints "+F:<n>:ChaCha20-Poly1305:<bytes per second>"
openssl_once() {
    openssl speed -mr -seconds "$OPENSSL_SECONDS" -evp chacha20-poly1305 -bytes 1420 2>/dev/null \
        | awk -F: '/^\+F:/{printf "%.1f\n", $4/1e6}'
}

MODE_ARGS=()
if ((SMOKE)); then
    MODE_ARGS=(-f 1 -wi 1 -w 100ms -i 1 -r 100ms)
elif [[ ${PROF_GC:-1} == 1 ]]; then
    MODE_ARGS=(-prof gc)
fi

for j in $JAVA; do
    jb=$(java_bin "$j")
    [[ -x $jb ]] || { echo "run-jmh.sh: $jb is not executable" >&2; exit 1; }
    label=$(java_label "$jb")
    major=$(java_major "$jb")
    echo "java $label $("$jb" -version 2>&1 | head -2 | tail -1)" >>"$OUT/meta.txt"
    # which crypto intrinsics this JVM uses on this CPU (they decide the jdk backend's speed)
    echo "java $label intrinsics: $("$jb" -XX:+UnlockDiagnosticVMOptions -XX:+PrintFlagsFinal -version 2>/dev/null \
        | awk '$2 ~ /^(UseAVX|UseChaCha20Intrinsics|UsePoly1305Intrinsics)$/ {printf "%s=%s ", $2, $4}')" >>"$OUT/meta.txt"
    if command -v openssl >/dev/null; then
        for r in $(seq 1 "$OPENSSL_RUNS"); do
            v=$(openssl_once)
            [[ -n $v ]] && printf '%s\t%s\t%s\n' "$label" "$r" "$v" >>"$OUT/openssl.tsv"
            echo "# openssl speed chacha20-poly1305 1420 B (before $label, run $r): $v MB/s" >&2
        done
    fi
    flags=()
    # JNA (the libsodium backend) and java.lang.foreign (openssl) need native access on new JDKs;
    # forks inherit the host's flags
    ((major >= 22)) && flags+=(--enable-native-access=ALL-UNNAMED)
    backends=$BACKENDS
    if ((major >= 22)) && [[ ${LIBCRYPTO:-auto} != 0 ]] && libcrypto_available; then
        backends="$backends,openssl"
    fi
    echo "java $label backends: $backends" >>"$OUT/meta.txt"
    echo "# JMH on $label -> $OUT/jmh-$label.json" >&2
    "$jb" "${flags[@]}" -jar "$JAR" "${MODE_ARGS[@]}" -p "backend=$backends" \
        -rf json -rff "$OUT/jmh-$label.json" "${JMH_ARGS[@]}" 2>&1 | tee "$OUT/jmh-$label.log" \
        | grep -E '^(# Benchmark:|# Parameters:|Benchmark |[A-Z][A-Za-z]+\.)' >&2 || true
    [[ -s $OUT/jmh-$label.json ]] || { echo "run-jmh.sh: JMH wrote no results on $label (see $OUT/jmh-$label.log)" >&2; exit 1; }
done

echo "loadavg_end $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/meta.txt"
python3 "$HERE/summarize-jmh.py" "$OUT" | tee "$OUT/summary.md"
echo "# results in $OUT" >&2
