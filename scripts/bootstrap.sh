#!/usr/bin/env bash
# Make this machine able to build and test webllm-monitor, then build it. Idempotent; fast
# (a few seconds) when everything is already there.
#   1. tools and headers: cmake, g++, em++ (emscripten), clang++ and libFuzzer (fuzz targets),
#      nlohmann/json, fmt, doctest, clang-format (scripts/lint.sh), node >= 20,
#      chromium (/usr/bin/chromium, or the browser CHROME_PATH names) for the browser tests
#      missing ones are installed with apt-get when root, else listed and we exit 1
#   2. npm ci when node_modules is missing or older than package-lock.json
#   3. scripts/build.sh (native + wasm, incremental)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

missing=()   # Debian packages to install
need_pkg() { local p; for p in "$@"; do [[ " ${missing[*]-} " == *" $p "* ]] || missing+=("$p"); done; }

command -v cmake >/dev/null 2>&1 || need_pkg cmake
command -v g++ >/dev/null 2>&1 || need_pkg g++
command -v ninja >/dev/null 2>&1 || need_pkg ninja-build
command -v em++ >/dev/null 2>&1 || need_pkg emscripten
# emcc's JS optimizer needs Debian's acorn (emscripten depends on it; check in case it was removed)
[[ -d /usr/share/nodejs/acorn ]] || need_pkg node-acorn
[[ -f /usr/include/nlohmann/json.hpp ]] || need_pkg nlohmann-json3-dev
[[ -f /usr/include/fmt/format.h ]] || need_pkg libfmt-dev
[[ -f /usr/include/doctest/doctest.h ]] || need_pkg doctest-dev
# clang++ with libFuzzer and the sanitizer runtimes for the fuzz targets (scripts/build.sh fuzz);
# g++'s own ASan/UBSan runtimes come with g++
command -v clang++ >/dev/null 2>&1 || need_pkg clang
# the C++ layout check of scripts/lint.sh (bookworm: clang-format 14, the version .clang-format is for)
command -v clang-format >/dev/null 2>&1 || need_pkg clang-format
if ! compgen -G "/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null; then
  clang_major="$(clang++ -dumpversion 2>/dev/null | cut -d. -f1)"
  need_pkg "libclang-rt-${clang_major:-14}-dev"
fi
# headless Chromium for tests/browser (driven by playwright-core, which downloads no browser)
if [[ -n "${CHROME_PATH:-}" ]]; then
  [[ -x "$CHROME_PATH" ]] || { echo "bootstrap: CHROME_PATH=$CHROME_PATH is not an executable" >&2; exit 1; }
else
  [[ -x /usr/bin/chromium ]] || need_pkg chromium
fi

node_ok=0
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  node_major="$(node -p 'process.versions.node.split(".")[0]')"
  [[ "$node_major" -ge 20 ]] && node_ok=1
fi

if [[ ${#missing[@]} -gt 0 ]]; then
  if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # --no-install-recommends: emscripten only recommends libjs-d3/python3-numpy. An installed
    # nodejs >= 20 satisfies emscripten's "nodejs (>= 12)" and is kept.
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "bootstrap: missing Debian packages. Install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

if [[ $node_ok -ne 1 ]]; then
  echo "bootstrap: Node.js >= 20 with npm is required (found: $(node --version 2>/dev/null || echo none))." >&2
  echo "  Debian bookworm's own nodejs is 18; install Node 20+ (e.g. the nodejs package from NodeSource)." >&2
  exit 1
fi

# npm dependencies
if [[ -f package-lock.json ]]; then
  if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    echo "bootstrap: npm ci"
    npm ci --no-audit --no-fund
  fi
fi

bash scripts/build.sh
