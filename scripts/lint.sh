#!/usr/bin/env bash
# `npm run lint`: ESLint (eslint.config.js, no warning allowed) over every JS file, then Prettier's
# check (.prettierrc.json) of the JS files' layout. Generated and built files are left out by
# eslint.config.js's ignores and .prettierignore (and .gitignore). `npx prettier --write <file>`
# fixes a layout finding; `npm test` and `npm run test:fast` run this first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "eslint:"
node_modules/.bin/eslint --max-warnings 0 .
echo "prettier (JS):"
node_modules/.bin/prettier --check '**/*.{js,mjs,jsx}'

# ---- C++: clang-format check (wasm/, tests/native/, fuzz/) goes here ----
