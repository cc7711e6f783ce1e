#!/usr/bin/env bash
# Configure (when needed) and build build/native (g++) and build/wasm (emcmake), Release.
# Incremental: an already configured tree is only rebuilt. Writes dist/webllm-monitor-core.{mjs,wasm}.
# Usage: scripts/build.sh [native|wasm|asan|fuzz]...   (default: native wasm)
#   asan: build/asan, the native tests under AddressSanitizer + UndefinedBehaviorSanitizer (g++)
#   fuzz: build/fuzz, the libFuzzer targets of fuzz/ (clang++, ASan + UBSan)
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

# $1 = build dir, $2 = the configure command's prefix ("" or emcmake), rest = cmake -D options.
# Configures only a tree that is not configured yet, then builds it. A configure that failed (a
# missing package, say) leaves a CMakeCache.txt but no build files: that tree starts again.
build_tree() {
  local dir=$1 prefix=$2
  shift 2
  if [[ -f "$dir/CMakeCache.txt" && ! -f "$dir/build.ninja" && ! -f "$dir/Makefile" ]]; then
    echo "== $dir: the last configure did not finish, configuring again"
    rm -rf "$dir"
  fi
  if [[ ! -f "$dir/CMakeCache.txt" ]]; then
    echo "== configure $dir${prefix:+ ($prefix)}"
    # shellcheck disable=SC2046
    $prefix cmake -S . -B "$dir" $(generator_args "$dir") "$@"
  fi
  echo "== build $dir"
  cmake --build "$dir" -j "$JOBS"
}

# Sanitized trees: -O1 with line tables only. Findings still name file and line, and the build
# takes a fraction of -O2 -g's time on a small machine; assert() stays on.
SAN_FLAGS=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1")

build_native() { build_tree build/native "" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DCMAKE_CXX_COMPILER="${CXX:-g++}"; }
build_wasm() { build_tree build/wasm emcmake -DCMAKE_BUILD_TYPE="$BUILD_TYPE"; }
build_asan() { build_tree build/asan "" "${SAN_FLAGS[@]}" -DCMAKE_CXX_COMPILER="${CXX:-g++}" -DWLM_SANITIZE=ON; }
build_fuzz() {
  build_tree build/fuzz "" "${SAN_FLAGS[@]}" -DCMAKE_CXX_COMPILER="${WLM_FUZZ_CXX:-clang++}" \
    -DWLM_FUZZ=ON -DWLM_BUILD_TESTS=OFF
}

targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=(native wasm)
for t in "${targets[@]}"; do
  case "$t" in
    native) build_native ;;
    wasm) build_wasm ;;
    asan) build_asan ;;
    fuzz) build_fuzz ;;
    *) echo "build.sh: unknown target '$t' (native|wasm|asan|fuzz)" >&2; exit 2 ;;
  esac
done
