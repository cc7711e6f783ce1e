#!/usr/bin/env bash
# Configure (when needed) and build build/native (g++) and build/wasm (emcmake), Release.
# Incremental: an already configured tree is only rebuilt. Writes dist/webllm-monitor-core.{mjs,wasm}.
# Usage: scripts/build.sh [native|wasm]...   (default: both)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

JOBS="${WLM_JOBS:-2}"
BUILD_TYPE="${WLM_BUILD_TYPE:-Release}"
# emcc's JS optimizer needs Debian's acorn (pitfall 1 in shared/TOOLCHAIN.md).
export NODE_PATH="/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}"

generator_args() {  # $1 = build dir; pick Ninja for a fresh tree when it exists
  if [[ ! -f "$1/CMakeCache.txt" ]] && command -v ninja >/dev/null 2>&1; then
    echo "-G Ninja"
  fi
}

build_native() {
  local dir=build/native
  if [[ ! -f "$dir/CMakeCache.txt" ]]; then
    echo "== configure $dir"
    # shellcheck disable=SC2046
    cmake -S . -B "$dir" $(generator_args "$dir") -DCMAKE_BUILD_TYPE="$BUILD_TYPE" \
      -DCMAKE_CXX_COMPILER="${CXX:-g++}"
  fi
  echo "== build $dir"
  cmake --build "$dir" -j "$JOBS"
}

build_wasm() {
  local dir=build/wasm
  if [[ ! -f "$dir/CMakeCache.txt" ]]; then
    echo "== configure $dir (emcmake)"
    # shellcheck disable=SC2046
    emcmake cmake -S . -B "$dir" $(generator_args "$dir") -DCMAKE_BUILD_TYPE="$BUILD_TYPE"
  fi
  echo "== build $dir"
  cmake --build "$dir" -j "$JOBS"
}

targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=(native wasm)
for t in "${targets[@]}"; do
  case "$t" in
    native) build_native ;;
    wasm) build_wasm ;;
    *) echo "build.sh: unknown target '$t' (native|wasm)" >&2; exit 2 ;;
  esac
done
