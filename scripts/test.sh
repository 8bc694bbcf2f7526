#!/usr/bin/env bash
# The project's test command (README: "npm test"): installs what the tests
# need on a fresh machine, builds the binary, type-checks, and runs the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x node_modules/.bin/bun ] || npm ci --no-audit --no-fund
export PATH="$PWD/node_modules/.bin:$PATH"
bash scripts/setup-test-env.sh
bash scripts/setup-docker.sh
bash scripts/check-platform.sh
bun scripts/check-imports.ts
tsc --noEmit -p .
bun scripts/build.ts
bun test --timeout 60000 "$@"
