#!/usr/bin/env bash
# Installs the Debian packages recur needs, when some are missing, and builds. Sourced by
# demo.sh and test.sh. As root it runs apt-get; otherwise it lists the missing packages and stops.

# What the demo needs: the compiler and CMake, the library's own dependencies, CLI11 for the
# examples' options and gnuplot for their figures. Nothing more, so that a newcomer's first
# command downloads and builds as little as it can.
recur_demo_packages=(cmake g++ make pkg-config ccache xtensor-dev libxtensor-blas-dev
  libxsimd-dev libopenblas-dev libzip-dev libcli11-dev gnuplot-nox)
# What the tests add: Boost.Test; Doxygen, Graphviz and MathJax for the manual's build test;
# NumPy and PyTorch for the reference fixtures; clang for the fuzzers; Open MPI for the
# data-parallel tests. CMake configures without any of them (the parts that need one are left
# out), so the demo's build never waits for them.
recur_test_packages=(libboost-test-dev doxygen graphviz libjs-mathjax python3-numpy
  python3-torch clang-14 libclang-rt-14-dev libopenmpi-dev openmpi-bin)

# Installs whichever of the given packages are missing.
recur_install_missing() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "recur needs these Debian packages: ${missing[*]}" >&2
    echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "== installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Configures build/ (with the CMake options given), then builds it with every core: everything,
# or only the targets named in the array RECUR_TARGETS.
recur_build() {
  local root target targets=()
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  # ccache keys on relative paths below the checkout, so another clone reuses the cache.
  export CCACHE_BASEDIR="$root"
  # The precompiled headers make every compile uncacheable for ccache ("could not use
  # precompiled header") unless it may skip checking the defines and times inside them; the
  # header's content is still part of the key, so a changed header is still a miss.
  export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
  cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release "$@"
  for target in ${RECUR_TARGETS[@]+"${RECUR_TARGETS[@]}"}; do targets+=(--target "$target"); done
  cmake --build "$root/build" -j "$(nproc)" ${targets[@]+"${targets[@]}"}
}
