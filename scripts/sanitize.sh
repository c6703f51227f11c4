#!/usr/bin/env bash
# Builds recur with AddressSanitizer + UndefinedBehaviorSanitizer into build-asan/ and runs the
# whole CTest suite there. Any report fails: UBSan aborts on its first finding, ASan on an
# invalid access, LeakSanitizer at exit on a leak. Sourced-free: test.sh runs it as a program.
# Without examples and benchmarks, at -O1, and without the docs/install tests (they run none of
# our code; the main build covers them), to keep CI's time down.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cmake -S "$root" -B "$root/build-asan" -DCMAKE_BUILD_TYPE=Release -DRECUR_SANITIZE=ON \
  -DRECUR_BUILD_EXAMPLES=OFF -DRECUR_BUILD_BENCH=OFF
cmake --build "$root/build-asan" -j "$(nproc)"
# Leak suppressions list only allocations made inside OpenBLAS (its per-thread buffers).
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1:check_initialization_order=1"
export LSAN_OPTIONS="suppressions=$root/tests/sanitizer/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
cd "$root/build-asan"
OPENBLAS_NUM_THREADS=1 ctest --output-on-failure -j "$(nproc)"
