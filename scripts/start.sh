#!/usr/bin/env bash
# Set up what is missing, then serve svc-labs on http://127.0.0.1:${PORT:-4321}.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$PATH"
exec npm start
