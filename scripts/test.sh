#!/usr/bin/env bash
# Builds recur and runs every test suite (the README's second command; .ci/run calls it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/deps.sh"
recur_install_missing
start=$(date +%s)
recur_build
echo "== build took $(( $(date +%s) - start )) s"
cd "$root/build"
OPENBLAS_NUM_THREADS=1 ctest --output-on-failure -j 2
