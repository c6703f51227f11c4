#!/usr/bin/env bash
# Builds the thread team's test suite (tests/threads/: the team, bitwise results on 1, 2 and 3
# threads, models trained in separate threads) with ThreadSanitizer into build-tsan/ and runs it;
# scripts/test.sh runs it after the AddressSanitizer suite. Any report fails the run. OpenBLAS is
# not instrumented: its own internal locking is suppressed (tests/sanitizer/tsan.supp), nothing
# of ours is.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-tsan"
start=$(date +%s)
export CCACHE_BASEDIR="$root"
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DRECUR_SANITIZE_THREADS=ON \
  -DRECUR_BUILD_EXAMPLES=OFF -DRECUR_BUILD_BENCH=OFF -DRECUR_WITH_MPI=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target test_threads
echo "== thread sanitizer build took $(( $(date +%s) - start )) s"
log="$build/tsan-report.txt"
rm -f "$log"*
export TSAN_OPTIONS="halt_on_error=1:exitcode=66:second_deadlock_stack=1:suppressions=$root/tests/sanitizer/tsan.supp:log_path=$log"
status=0
OPENBLAS_NUM_THREADS=1 RECUR_NUM_THREADS=3 "$build/tests/test_threads" --report_level=short || status=$?
if compgen -G "$log*" >/dev/null; then
  echo "ThreadSanitizer reports:" >&2
  head -n 120 "$log"* >&2
  status=1
fi
[ "$status" -eq 0 ] || { echo "the thread sanitizer run failed" >&2; exit "$status"; }
echo "== thread sanitizer run passed, no reports ($(( $(date +%s) - start )) s in all)"
