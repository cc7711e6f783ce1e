#!/usr/bin/env bash
# `npm run lint`: ESLint (eslint.config.js, no warning allowed) over every JS file, Prettier's
# check (.prettierrc.json) of the JS files' layout, then tsc over the package's JS with its JSDoc,
# checked against the .d.ts files (tsconfig.checkjs.json), and clang-format's check of the C++.
# Generated and built files are left out by eslint.config.js's ignores and .prettierignore (and
# .gitignore). `npx prettier --write <file>` fixes a layout finding; `npm test` and
# `npm run test:fast` run this first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "eslint:"
node_modules/.bin/eslint --max-warnings 0 .
echo "prettier (JS):"
node_modules/.bin/prettier --check '**/*.{js,mjs,jsx}'
echo "tsc (checkJs: tsconfig.checkjs.json):"
node_modules/.bin/tsc -p tsconfig.checkjs.json

# C++: the tracked sources of wasm/, tests/native/ and fuzz/ as clang-format (.clang-format; Debian
# bookworm's clang-format 14, which scripts/bootstrap.sh installs) lays them out. `clang-format -i
# <file>` fixes a finding. A region kept as written is marked `// clang-format off` ... `on`.
echo "clang-format (C++):"
command -v clang-format >/dev/null 2>&1 || {
  echo "lint: clang-format is missing (Debian package clang-format; scripts/bootstrap.sh installs it)" >&2
  exit 1
}
# Generated (npm run generate): their writer, scripts/generate*.mjs, owns their layout.
cpp_skip=('wasm/generated/*')
mapfile -t cpp_files < <(git ls-files -- 'wasm/*.cpp' 'wasm/*.hpp' 'tests/native/*.cpp' 'tests/native/*.hpp' \
  'fuzz/*.cpp' 'fuzz/*.hpp' "${cpp_skip[@]/#/:!:}")
clang-format --dry-run --Werror "${cpp_files[@]}"
echo "${#cpp_files[@]} C++ files formatted (${#cpp_skip[@]} paths left out)"
