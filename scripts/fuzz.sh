#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with clang into build-fuzz/ and runs each for a
# share of RECUR_FUZZ_SECONDS (default 60 s in all). Each run starts from the committed seeds in
# tests/fuzz/corpus/<target>/ plus what earlier runs found (kept in build-fuzz/corpus/<target>/).
# A crash, an uncaught exception, a hang (one input over 10 s), a leak or a sanitizer report
# stops the run with the offending input saved as build-fuzz/artifacts/<target>-*, and fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-fuzz"
CC=clang-14 CXX=clang++-14 cmake -S "$root/tests/fuzz" -B "$build" -DCMAKE_BUILD_TYPE=Release
cmake --build "$build" -j "$(nproc)"
targets=()
for seeds in "$root"/tests/fuzz/corpus/*/; do
  name=$(basename "$seeds")
  [ -x "$build/fuzz_$name" ] && targets+=("$name")
done
total=${RECUR_FUZZ_SECONDS:-60}
share=$(( total / ${#targets[@]} ))
[ "$share" -ge 1 ] || share=1
mkdir -p "$build/artifacts"
for name in "${targets[@]}"; do
  mkdir -p "$build/corpus/$name"
  echo "== fuzzing $name for $share s"
  log="$build/$name.log"
  status=0
  ASAN_OPTIONS="detect_leaks=1" UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
    "$build/fuzz_$name" "$build/corpus/$name" "$root/tests/fuzz/corpus/$name" \
      -max_total_time="$share" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
      -print_final_stats=1 -artifact_prefix="$build/artifacts/$name-" >"$log" 2>&1 || status=$?
  grep -E '^stat::(number_of_executed_units|new_units_added|peak_rss_mb)|DONE' "$log" || true
  if [ "$status" -ne 0 ]; then
    tail -n 60 "$log" >&2
    echo "fuzz_$name failed (exit $status); the input is in $build/artifacts/" >&2
    exit 1
  fi
done
