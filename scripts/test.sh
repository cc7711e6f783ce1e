#!/usr/bin/env bash
# Run every suite against what scripts/build.sh built: native doctest, the same suite compiled to
# wasm under Node, the JS tests (node:test), then the browser tests (node:test driving headless
# Chromium). Exits non-zero if any suite fails; runs all.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

failed=()
section() { printf '\n==================== %s ====================\n' "$1"; }
run() {  # $1 = name, rest = command
  local name=$1; shift
  section "$name"
  if "$@"; then
    echo "-- $name: OK"
  else
    echo "-- $name: FAILED (exit $?)"
    failed+=("$name")
  fi
}

run "native tests (ctest build/native)" ctest --test-dir build/native --output-on-failure --no-tests=error
run "wasm tests (ctest build/wasm, node)" ctest --test-dir build/wasm --output-on-failure --no-tests=error

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

# The hand-written declarations, checked by a type-test file (lines under expect-error must fail).
run "types (tsc -p tests/types)" node_modules/.bin/tsc -p tests/types

section "summary"
if [[ ${#failed[@]} -gt 0 ]]; then
  printf 'FAILED: %s\n' "${failed[@]}"
  exit 1
fi
echo "all suites passed"
