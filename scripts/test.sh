#!/usr/bin/env bash
# The whole test suite, from a fresh clone: install what the integration tests need (Debian
# packages when missing, npm packages from the lock file), build, then run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent build
npx tsc -p tsconfig.json --noEmit
npx vitest run "$@"
