#!/bin/sh
# A cryptun mesh at community size, beside real bmx7 (BMX7=/path/to/bmx7) or the stand-in.
#   benchmarks/mesh-scale/run.sh --nodes 24 --gateways 3 [--idle-seconds 60] [--java /usr/lib/jvm/.../bin/java]
# Needs root, the built jar (mvn -B -q package -DskipTests) and, for the stand-in, the test classes
# (mvn -B -q test-compile). See the top of mesh_scale.py for what it measures.
exec python3 "$(dirname "$0")/mesh_scale.py" "$@"
