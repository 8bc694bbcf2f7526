#!/usr/bin/env bash
# Installs and starts what the test suite uses beyond Node and npm. Idempotent.
set -euo pipefail
need=()
command -v parallel >/dev/null || need+=(parallel)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "setup-test-env: missing ${need[*]} and not root; install them to run every test" >&2
  fi
fi
