#!/usr/bin/env bash
# Run every suite against what scripts/build.sh built: the lint (scripts/lint.sh), native doctest,
# the same suite compiled to wasm under Node, the JS tests (node:test), then the browser tests
# (node:test driving headless Chromium). Exits non-zero if any suite fails; runs all.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

failed=()
section() { printf '\n==================== %s ====================\n' "$1"; }
suites=0
run() {  # $1 = name, rest = command
  local name=$1; shift
  suites=$((suites + 1))
  section "$name"
  if "$@"; then
    echo "-- $name: OK"
  else
    echo "-- $name: FAILED (exit $?)"
    failed+=("$name")
  fi
}

run "lint (eslint, prettier, tsc checkJs, clang-format; scripts/lint.sh)" bash scripts/lint.sh
run "native tests (ctest build/native)" ctest --test-dir build/native --output-on-failure --no-tests=error
run "wasm tests (ctest build/wasm, node)" ctest --test-dir build/wasm --output-on-failure --no-tests=error

# The same native suite under AddressSanitizer + UndefinedBehaviorSanitizer (build/asan, g++):
# any finding aborts the test program.
asan_tests() {
  bash scripts/build.sh asan || return 1
  ctest --test-dir build/asan --output-on-failure --no-tests=error
}
run "native tests under ASan + UBSan (build/asan)" asan_tests

# Each libFuzzer target of fuzz/ for WLM_FUZZ_SECONDS (default 60) over its committed corpus.
run "fuzz (libFuzzer, ${WLM_FUZZ_SECONDS:-60} s per target, scripts/fuzz.sh)" bash scripts/fuzz.sh

shopt -s nullglob
js_tests=(tests/js/*.test.mjs tests/js/*.test.js)
shopt -u nullglob
if [[ ${#js_tests[@]} -eq 0 ]]; then
  section "js tests (node --test)"
  echo "-- no tests/js/*.test.mjs found"
  failed+=("js tests (none found)")
else
  run "js tests (node --test, ${#js_tests[@]} files)" node --test "${js_tests[@]}"
fi

shopt -s nullglob
browser_tests=(tests/browser/*.test.mjs)
shopt -u nullglob
if [[ ${#browser_tests[@]} -eq 0 ]]; then
  section "browser tests (node --test)"
  echo "-- no tests/browser/*.test.mjs found"
  failed+=("browser tests (none found)")
else
  # headless Chromium (CHROME_PATH or /usr/bin/chromium) through playwright-core; screenshots
  # land in test-results/browser/
  run "browser tests (node --test, ${#browser_tests[@]} files)" node --test "${browser_tests[@]}"
fi

# The command-line tool: its unit and end-to-end tests (every tests/cli/*.test.mjs, headless
# Chromium against the demo), then the tool as a user's pipeline runs it.
shopt -s nullglob
cli_tests=(tests/cli/*.test.mjs)
shopt -u nullglob
if [[ ${#cli_tests[@]} -gt 0 ]]; then
  run "cli tests (node --test, ${#cli_tests[@]} files)" node --test "${cli_tests[@]}"
fi

# Build the demo, serve it, and run `webllm-monitor ci` with the committed workload and budget;
# expects exit 0. Results (metrics.json, report.md, junit.xml) in test-results/ci/.
cli_ci_demo() {
  node scripts/demo.mjs --build-only >/dev/null || return 1
  local log pid origin rc=0
  log=$(mktemp)
  node scripts/serve-dir.mjs demo/dist >"$log" &
  pid=$!
  for _ in $(seq 100); do [[ -s $log ]] && break; sleep 0.1; done
  origin=$(head -n 1 "$log")
  if [[ $origin != http://* ]]; then
    echo "the demo server did not start"; kill "$pid" 2>/dev/null; rm -f "$log"; return 1
  fi
  node js/cli/bin.js ci --url "$origin/?speed=20" --workload examples/ci-workload.mjs \
    --budget budgets/demo.budget.json --out test-results/ci || rc=$?
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -f "$log"
  return "$rc"
}
run "cli ci against the demo (webllm-monitor ci, budgets/demo.budget.json)" cli_ci_demo

# The hand-written declarations, checked by type-test files (lines under expect-error must fail):
# strictly (skipLibCheck false) as an app without @mlc-ai/web-llm sees them (tests/types, from a
# temporary copy), and against the real @mlc-ai/web-llm (tests/types/webllm: the README's examples).
run "types (tsc -p tests/types, without @mlc-ai/web-llm)" node tests/types/without-webllm.mjs
run "types (tsc -p tests/types/webllm, with @mlc-ai/web-llm)" node_modules/.bin/tsc -p tests/types/webllm

section "summary"
echo "suites: $((suites - ${#failed[@]})) passed, ${#failed[@]} failed"
if [[ ${#failed[@]} -gt 0 ]]; then
  printf 'FAILED: %s\n' "${failed[@]}"
  exit 1
fi
echo "all suites passed"
