#!/usr/bin/env bash
# Builds recur and runs every test suite (the README's second command; .ci/run calls it), then
# the same suites under AddressSanitizer + UBSan + LeakSanitizer (scripts/sanitize.sh,
# build-asan/), the thread team's suite under ThreadSanitizer (scripts/tsan.sh, build-tsan/),
# then fuzzes the file readers for a bounded time (scripts/fuzz.sh, build-fuzz/).
# Any failure or sanitizer report stops it with a non-zero status.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/deps.sh"
recur_install_missing "${recur_demo_packages[@]}" "${recur_test_packages[@]}"
start=$(date +%s)
recur_build
echo "== build took $(( $(date +%s) - start )) s"
phase=$(date +%s)
(cd "$root/build" && OPENBLAS_NUM_THREADS=1 ctest --output-on-failure -j 2)
echo "== tests took $(( $(date +%s) - phase )) s; now the sanitizer build"
bash "$root/scripts/sanitize.sh"
bash "$root/scripts/tsan.sh"
phase=$(date +%s)
bash "$root/scripts/fuzz.sh"
echo "== fuzzing (build and runs) took $(( $(date +%s) - phase )) s"
echo "== all passed in $(( $(date +%s) - start )) s"
