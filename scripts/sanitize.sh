#!/usr/bin/env bash
# Builds recur with AddressSanitizer + UndefinedBehaviorSanitizer into build-asan/ and runs the
# whole CTest suite there; scripts/test.sh runs it after the plain suite. Any report fails:
# UBSan aborts on its first finding (-fno-sanitize-recover), ASan on an invalid access,
# LeakSanitizer at exit on a leak, each with a non-zero exit status that fails its test. A report
# in a child process whose exit status a test expects to be non-zero (a program fed a damaged
# file) would fail nothing, so the run also fails on any report found afterwards: ASan's and
# LSan's go to files in build-asan/sanitizer-reports/ (log_path), UBSan's to stderr (GCC's UBSan
# ignores log_path), which CTest keeps for every test in Testing/Temporary/LastTest.log.
# Without examples and benchmarks, at -O1 -g1, and without the docs/install tests (they run
# none of our code; the main build covers them), to keep CI's time down.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-asan"
start=$(date +%s)
export CCACHE_BASEDIR="$root"
# The precompiled headers make every compile uncacheable for ccache ("could not use precompiled
# header") unless it may skip checking the defines and times inside them; the header's content is
# still part of the key, so a changed header is still a miss.
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DRECUR_SANITIZE=ON \
  -DRECUR_BUILD_EXAMPLES=OFF -DRECUR_BUILD_BENCH=OFF
cmake --build "$build" -j "$(nproc)"
echo "== sanitizer build took $(( $(date +%s) - start )) s"

reports="$build/sanitizer-reports"
rm -rf "$reports"
mkdir -p "$reports"
# halt_on_error and exitcode are ASan's defaults, spelled out because the run relies on them.
# Leak suppressions list only allocations made inside third-party libraries (tests/sanitizer/).
export ASAN_OPTIONS="halt_on_error=1:exitcode=1:detect_leaks=1:abort_on_error=0:strict_string_checks=1:check_initialization_order=1:detect_stack_use_after_return=0:log_path=$reports/asan"
export LSAN_OPTIONS="exitcode=23:suppressions=$root/tests/sanitizer/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan"
tests_start=$(date +%s)
status=0
(cd "$build" && OPENBLAS_NUM_THREADS=1 ctest --output-on-failure -j "$(nproc)") || status=$?
echo "== sanitizer tests took $(( $(date +%s) - tests_start )) s"
if compgen -G "$reports/*" >/dev/null; then
  echo "sanitizer reports (from $reports):" >&2
  for report in "$reports"/*; do
    echo "---- $(basename "$report")" >&2
    head -n 80 "$report" >&2
  done
  status=1
fi
pattern='runtime error:|ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|SUMMARY: [A-Za-z]*Sanitizer'
if grep -Eq "$pattern" "$build/Testing/Temporary/LastTest.log"; then
  echo "sanitizer reports in the tests' output ($build/Testing/Temporary/LastTest.log):" >&2
  grep -E -A 12 "$pattern" "$build/Testing/Temporary/LastTest.log" | head -n 120 >&2
  status=1
fi
[ "$status" -eq 0 ] || { echo "the sanitizer run failed" >&2; exit "$status"; }
echo "== sanitizer run passed, no reports"
