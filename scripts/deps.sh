#!/usr/bin/env bash
# Installs the Debian packages recur needs, when some are missing. Sourced by demo.sh and test.sh.
# As root it runs apt-get; otherwise it lists the missing packages and stops.
recur_packages=(cmake g++ make pkg-config ccache xtensor-dev libxtensor-blas-dev libxsimd-dev
  libopenblas-dev libboost-test-dev libzip-dev doxygen graphviz libjs-mathjax libcli11-dev
  gnuplot-nox python3-numpy python3-torch clang-14 libclang-rt-14-dev libopenmpi-dev openmpi-bin)

recur_install_missing() {
  local missing=() pkg
  for pkg in "${recur_packages[@]}" "$@"; do
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

# Configures and builds into build/ with every core.
recur_build() {
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  # ccache keys on relative paths below the checkout, so another clone reuses the cache.
  export CCACHE_BASEDIR="$root"
  cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release "$@"
  cmake --build "$root/build" -j "$(nproc)"
}
