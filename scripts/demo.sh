#!/usr/bin/env bash
# Builds recur and runs the main demo (the README's first command).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/deps.sh"
recur_install_missing
recur_build
cd "$root"
if [ -x build/examples/memory_horizon/memory_horizon ]; then
  exec build/examples/memory_horizon/memory_horizon --out out/memory_horizon "$@"
fi
exec build/examples/quickstart/quickstart "$@"
