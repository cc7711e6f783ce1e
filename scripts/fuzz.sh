#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ (build/fuzz, clang++, ASan + UBSan) and runs each for
# the given number of seconds (default: WLM_FUZZ_SECONDS, else 60) over its committed corpus,
# fuzz/corpus/<name>/, which also holds every input that ever failed it. New inputs go to a
# scratch directory; a crash or a failed oracle leaves its input and log in test-results/fuzz/.
# Usage: scripts/fuzz.sh [seconds]
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

bash scripts/build.sh fuzz || exit 1
secs=${1:-${WLM_FUZZ_SECONDS:-60}}
out=test-results/fuzz
rc=0
mkdir -p "$out"
for bin in build/fuzz/*_fuzzer; do
  name=$(basename "$bin")
  work=$(mktemp -d)
  echo "-- $name: ${secs} s over fuzz/corpus/$name/"
  # Zero-filling allocations and a long quarantine cost more than the fuzzing here.
  if ASAN_OPTIONS=max_malloc_fill_size=0:quarantine_size_mb=64 "$bin" -max_total_time="$secs" \
      -timeout=30 -rss_limit_mb=3072 -print_final_stats=1 -artifact_prefix="$out/$name-" \
      "$work" "fuzz/corpus/$name" >"$out/$name.log" 2>&1; then
    grep -E '^(Done|stat::(number_of_executed_units|new_units_added|peak_rss_mb))' "$out/$name.log"
  else
    rc=1
    tail -n 60 "$out/$name.log"
    echo "-- $name FAILED: input and log in $out/ (add the input to fuzz/corpus/$name/ and a test)"
  fi
  rm -rf "$work"
done
exit "$rc"
