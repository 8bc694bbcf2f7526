#!/usr/bin/env bash
# Installs what the test suite and benchmarks use beyond Node and npm (Debian packages). Idempotent.
# sshd is only started by the tests themselves, on a loopback port with a generated host key.
set -euo pipefail
need=()
command -v parallel >/dev/null || need+=(parallel)
command -v git >/dev/null || need+=(git)
command -v ssh >/dev/null || need+=(openssh-client)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v openssl >/dev/null || need+=(openssl)
command -v curl >/dev/null || need+=(curl)
command -v wrk >/dev/null || need+=(wrk)
command -v zsh >/dev/null || need+=(zsh)
command -v fish >/dev/null || need+=(fish)
command -v file >/dev/null || need+=(file)
command -v tmux >/dev/null || need+=(tmux)
command -v unzip >/dev/null || need+=(unzip)
command -v less >/dev/null || need+=(less)
# The run store's PostgreSQL tests start throw-away clusters with Debian's binaries (never the package's own cluster).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "setup-test-env: missing ${need[*]} and not root; install them to run every test" >&2
  fi
fi
