#!/usr/bin/env bash
# The whole test suite, as CI runs it: set-up, lint, type check, then every vitest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$PATH"
echo "==> lint and type check"
npm run --silent lint
echo "==> tests"
status=0
vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@" || status=$?
node scripts/test-summary.ts test-results/vitest.json || true
exit $status
