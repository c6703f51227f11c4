#!/usr/bin/env bash
# Builds recur and runs every test suite (the README's second command; .ci/run calls it), then
# fuzzes the file readers for a bounded time (scripts/fuzz.sh, build-fuzz/). Any failure stops it.
# scripts/sanitize.sh runs the same suites under AddressSanitizer + UBSan (build-asan/).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/deps.sh"
recur_install_missing
start=$(date +%s)
recur_build
echo "== build took $(( $(date +%s) - start )) s"
(cd "$root/build" && OPENBLAS_NUM_THREADS=1 ctest --output-on-failure -j 2)
echo "== tests passed after $(( $(date +%s) - start )) s; now the fuzzers"
bash "$root/scripts/fuzz.sh"
echo "== all passed in $(( $(date +%s) - start )) s"
