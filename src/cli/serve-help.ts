/**
 * The environment `muster serve` is configured by, for `muster serve --help`
 * (docs/serve.md, "Configuration (environment)", has every variable).
 * @module
 */

/** An ENVIRONMENT section for the serve usage text. */
export const SERVE_ENVIRONMENT = `
ENVIRONMENT (muster serve takes no flags)

  RUNNER_AUTH_TOKEN              Bearer token(s) for the API, comma-separated, 16+ characters (required)
  ATMOS_REPO_URL                 The workflow repository: https://..., ssh://... or user@host:path (required)
  ATMOS_REPO_BRANCH              Branch to clone (default main)
  ATMOS_REPO_KNOWN_HOSTS         known_hosts for an SSH repository (required for SSH)
  GIT_SSH_KEY                    Private key for an SSH repository
  MUSTER_GIT_CA_FILE             CA bundle for a private HTTPS git server
  PORT, HOST                     Where to listen (default 8080 on 127.0.0.1; the API is plain HTTP)
  MUSTER_CONCURRENCY             Runs at once (default 2)
  MUSTER_QUEUE_SIZE              Queued runs at most (default 32)
  MUSTER_SHUTDOWN_GRACE          How long runs may finish after SIGTERM (default 30s)
  MUSTER_CALLBACK_ALLOW_HOSTS    Hosts callbacks may reach over plain http or private addresses
  MUSTER_STATE_DIR               Where runs are kept (SQLite; default $XDG_STATE_HOME/muster or ~/.local/state/muster)
  MUSTER_STATE_URL               sqlite:DIR/runs.db (the same as MUSTER_STATE_DIR=DIR), or postgres://USER:PASSWORD@HOST:PORT/DB shared by several replicas (the muster executable only, not deno run)
  MUSTER_RUN_RETENTION           How long finished runs are remembered (default 168h)
  MUSTER_CALLBACK_ATTEMPTS       Callback attempts (default 5)
  MUSTER_CALLBACK_BASE_DELAY_MS  First retry delay of a callback (default 500)
  LOG_FORMAT                     text (default) or json

  Every variable, the threat model and the HTTP API: docs/serve.md
`;
