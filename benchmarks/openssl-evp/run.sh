#!/bin/sh
# The reference for the openssl backend's JMH figure: the same per-packet libcrypto calls
# (nonce, update, final, tag; then the same to open), made from C. `openssl speed -evp` measures
# EVP_CipherUpdate over a running stream instead, without a nonce, a final or a tag per message.
# Needs gcc and libssl-dev.
set -e
cd "$(dirname "$0")"
out=${TMPDIR:-/tmp}/cryptun-evpbench
gcc -O2 -o "$out" evpbench.c -lcrypto
for len in 1420 64; do "$out" "$len"; done
