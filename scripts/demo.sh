#!/usr/bin/env bash
# Builds what the main demo needs and runs it (the README's first command): the demo's packages
# only (scripts/deps.sh), and only the library and the memory_horizon program, so a fresh clone
# gets to its first result without Boost, PyTorch, clang, MPI or Doxygen. scripts/test.sh adds
# those and builds the rest, in the same build/ folder.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/deps.sh"
recur_install_missing "${recur_demo_packages[@]}"
RECUR_TARGETS=(memory_horizon)
recur_build
cd "$root"
exec build/examples/memory_horizon/memory_horizon --out out/memory_horizon "$@"
