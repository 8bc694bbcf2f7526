#!/bin/sh
# Entry point of the muster runner image: checks the required settings and
# hands over to `muster serve` (which validates everything else and names
# the variable at fault). Secrets stay in the environment, never on argv.
set -eu

for var in RUNNER_AUTH_TOKEN ATMOS_REPO_URL; do
  eval "value=\${$var:-}"
  if [ -z "$value" ]; then
    echo "entrypoint: $var is required" >&2
    exit 2
  fi
done

# The run dirs must exist and be ours: container-step volume sources are
# resolved inside them, and the same path is mounted from the host.
mkdir -p "${TMPDIR:-/var/lib/muster-runner}"

exec muster serve
