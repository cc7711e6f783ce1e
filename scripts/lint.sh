#!/usr/bin/env bash
# `npm run lint`: ESLint (eslint.config.js, no warning allowed) over every JS file, Prettier's
# check (.prettierrc.json) of the JS files' layout, then tsc over the package's JS with its JSDoc,
# checked against the .d.ts files (tsconfig.checkjs.json). Generated and built files are left out
# by eslint.config.js's ignores and .prettierignore (and .gitignore). `npx prettier --write <file>`
# fixes a layout finding; `npm test` and `npm run test:fast` run this first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "eslint:"
node_modules/.bin/eslint --max-warnings 0 .
echo "prettier (JS):"
node_modules/.bin/prettier --check '**/*.{js,mjs,jsx}'
echo "tsc (checkJs: tsconfig.checkjs.json):"
node_modules/.bin/tsc -p tsconfig.checkjs.json

# ---- C++: clang-format check (wasm/, tests/native/, fuzz/) goes here ----
