#!/usr/bin/env bash
# The platform rule (src/platform/types.ts): outside src/platform/, source
# files use web standards and a few Node modules both runtimes implement, and
# never `process`, `Bun` or `Deno`. Tests are exempt. Exits 1 listing offenders.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(find src -name '*.ts' ! -name '*.test.ts' ! -path 'src/platform/*')
bad=0
# Globals of one runtime.
if grep -nE '(^|[^-/.A-Za-z_])(process|Bun|Deno)\.[A-Za-z]' $files | grep -vE '^\S+:[0-9]+:\s*(\*|//)'; then bad=1; fi
# Node modules beyond the allowed set.
allowed='node:(fs|fs/promises|path|os|crypto|dns/promises|net)"'
if grep -nE 'from "node:[^"]+"' $files | grep -vE "$allowed"; then bad=1; fi
if [ "$bad" = 1 ]; then
  echo "check-platform: runtime-specific code outside src/platform/ (see src/platform/types.ts for the rule)" >&2
  exit 1
fi
echo "check-platform: ok ($(echo "$files" | wc -l) files)"
