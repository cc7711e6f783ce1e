#!/usr/bin/env bash
# The inner loop (`npm run test:fast`): the lint (scripts/lint.sh), the native doctest suite and
# every Node suite that needs no browser and no long run, against what scripts/build.sh last
# built. `npm test` runs all of these and the rest (wasm, ASan + UBSan, fuzzing, headless
# Chromium, the CLI against the demo, the 10-million-generation session, types).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/lint.sh
[[ -f dist/webllm-monitor-core.wasm && -x build/native/wlm_tests ]] || bash scripts/build.sh
ctest --test-dir build/native --output-on-failure --no-tests=error
shopt -s nullglob
node_tests=()
for f in tests/js/*.test.mjs tests/cli/*.test.mjs; do
  case "$f" in
    tests/js/long-session.test.mjs | tests/cli/ci.test.mjs) ;;  # minutes, or a browser: npm test runs them
    *) node_tests+=("$f") ;;
  esac
done
# Two files at a time at least: node's default (one less than the cores) runs them one by one on
# two cores, which doubles the loop's time (measured: 48 s against 26 s for the Node suites).
cores=$(nproc 2>/dev/null || echo 2)
node --test --test-concurrency=$((cores > 2 ? cores - 1 : 2)) "${node_tests[@]}"
