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
  ATMOS_REPO_BRANCH              Branch to clone (default main; a local repository: its HEAD's)
  MUSTER_ALLOW_LOCAL_REPOS       1: ATMOS_REPO_URL may be a local git repository (a path or file://), for trying serve
  ATMOS_REPO_KNOWN_HOSTS         known_hosts for an SSH repository (required for SSH)
  GIT_SSH_KEY                    Private key for an SSH repository
  MUSTER_GIT_TOKEN, MUSTER_GIT_USERNAME  HTTPS clone credentials (default user x-access-token), through GIT_ASKPASS
  NAME_FILE                      Any secret above (and MUSTER_STATE_URL) from a file instead; the file wins
  MUSTER_GIT_CA_FILE             CA bundle for a private HTTPS git server
  PORT, HOST                     Where to listen (default 8080 on 127.0.0.1; the API is plain HTTP)
  MUSTER_CONCURRENCY             Runs at once (default 2)
  MUSTER_QUEUE_SIZE              Queued runs at most (default 32)
  MUSTER_QUEUE_PER_STACK         Queued runs of one stack at most (default: the queue size)
  MUSTER_RUN_TIMEOUT, _MAX       A run's time limit, and the most a dispatch's timeout may ask (default 6h, the same)
  MUSTER_WAIT_TIMEOUT            How long a run may wait at a prompt for an answer (POST /runs/ID/answers) before it fails (default 24h)
  MUSTER_ANSWER_TOKENS           Bearer token(s) of their own that alone answer or cancel a waiting run (then RUNNER_AUTH_TOKEN's may not); they may also read runs
  MUSTER_DISPATCH_ANSWERS        0: a dispatch may not carry answers (every gate is answered at POST /runs/ID/answers); default 1
  MUSTER_CANCEL_GRACE            How long a canceled run may tear down before it is killed (default 60s)
  MUSTER_SHUTDOWN_GRACE          How long runs may finish after SIGTERM (default 30s)
  MUSTER_CALLBACK_BUDGET         Then how long callbacks may still take (default 20s); one cut short is sent at the next start
  MUSTER_CALLBACK_ALLOW_HOSTS    Hosts callbacks may reach over plain http or private addresses
  MUSTER_STATE_DIR               Where runs are kept (SQLite; default $XDG_STATE_HOME/muster or ~/.local/state/muster)
  MUSTER_STATE_URL               sqlite:DIR/runs.db (the same as MUSTER_STATE_DIR=DIR), or postgres://USER:PASSWORD@HOST:PORT/DB shared by several replicas (the muster executable only, not deno run); the password is never shown
  MUSTER_STATE_URL_FILE          A file holding MUSTER_STATE_URL (wins; messages name the file, never the URL)
  MUSTER_RUNNER_ID               This replica's name in the store (default: host name and a random suffix, new at each start)
  MUSTER_LEASE_TTL, MUSTER_POLL_INTERVAL  PostgreSQL: a claim's lifetime without renewal, how often to poll (default 30s, 500ms)
  MUSTER_METRICS_PUBLIC          1: /metrics answers without the bearer token (default: it needs it)
  MUSTER_RUN_RETENTION           How long finished runs are remembered (default 168h)
  MUSTER_CALLBACK_ATTEMPTS       Callback attempts (default 5)
  MUSTER_CALLBACK_BASE_DELAY_MS  First retry delay of a callback (default 500)
  LOG_FORMAT                     text (default) or json
  MUSTER_RUN_ISOLATION           process (default) or container: each run in a container of MUSTER_RUN_IMAGE
  MUSTER_RUN_BIN                 muster inside that image (default muster)
  MUSTER_RUN_PIDS, _MEMORY, _CPUS  A run container's bounds (default 512, 2g, 2); its container steps get the same
  MUSTER_RUN_LOG_MAX_SIZE, _FILE   Its engine log (default 10m, 3 files)
  MUSTER_RUN_NETWORK             internal (default: a network per run, no route to the host or other runs), none, or a network's name
  MUSTER_RUN_USER                uid:gid of a run in its container (default the runner's; 65534 for a root runner);
                                 process mode, root runner: every run's uid[:gid] instead of MUSTER_RUN_UIDS
  MUSTER_RUN_UIDS                Process mode, root runner: a uid of its own for each run from FIRST-LAST (default 2100000000-2100000999)
  MUSTER_RUN_HIDE                Process mode: more paths (":"-separated) the run sandbox hides from runs

  What runs' container steps may ask of the engine, refused unless named here (docs/serve.md, "Container steps of runs"):
  MUSTER_ALLOW_HOST_MOUNTS       Host path prefixes (":"-separated) binds and builds may read besides the checkout
  MUSTER_ALLOW_DOCKER_SOCKET     1: the Docker socket (root on the host); in process mode, any access to the engine
  MUSTER_ALLOW_CAPS              Capabilities --cap-add may add (SYS_ADMIN,NET_ADMIN or ALL)
  MUSTER_ALLOW_PRIVILEGED        1: --privileged
  MUSTER_ALLOW_HOST_NETWORK      1: --network host (also _HOST_PID, _HOST_IPC, _HOST_UTS, _HOST_USERNS)
  MUSTER_ALLOW_NETWORKS          Other networks, container:NAME namespaces
  MUSTER_ALLOW_VOLUMES           Named volumes (or *)
  MUSTER_ALLOW_DEVICES, MUSTER_ALLOW_SECURITY_OPTS  Host devices, security_opt values

  Every variable, the threat model and the HTTP API: docs/serve.md
`;
