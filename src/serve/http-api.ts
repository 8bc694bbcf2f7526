/**
 * The runner's HTTP API, written against `Request` and `Response` only:
 * `POST /dispatch`, `GET /runs/:id`, `POST /runs/:id/answers` (a run waiting
 * at a prompt), `POST /runs/:id/cancel`, `GET /healthz`,
 * `GET /readyz`, `GET /metrics` (the bearer token too, unless
 * MUSTER_METRICS_PUBLIC). A network request without `Host` is a 400.
 * Under MUSTER_ANSWER_TOKENS, answering or canceling a waiting run takes
 * one of those tokens (a dispatch token is a 403 there), and they do
 * nothing else but read a run.
 * @module
 */
import { readAtMost } from "../util/bytes.ts";
import { callbackUrlProblem } from "./address-policy.ts";
import { parseAnswerBody, parseDispatch } from "./dispatch-schema.ts";
import { formatDuration, parseDuration } from "../workflow/duration.ts";
import type { Log } from "./log.ts";
import type { Metrics } from "./metrics.ts";
import type { RunManager } from "./run-manager.ts";
import type { TokenChecker } from "./token.ts";

/** Largest accepted request body. */
export const MAX_BODY_BYTES = 64 * 1024;

/** What the handler needs. */
export interface ApiDeps {
  runs: RunManager;
  /** RUNNER_AUTH_TOKEN: dispatch, status, cancel, metrics (and answers unless `answerTokens`). */
  tokens: TokenChecker;
  /** MUSTER_ANSWER_TOKENS: when given, only these answer (or cancel) a waiting run; they may also read a run's status. */
  answerTokens?: TokenChecker;
  /** MUSTER_DISPATCH_ANSWERS: false refuses a dispatch with `answers` (default true). */
  dispatchAnswers?: boolean;
  metrics: Metrics;
  log: Log;
  /** Hosts a callback may reach over http or at a private address (MUSTER_CALLBACK_ALLOW_HOSTS). */
  callbackAllowHosts?: ReadonlySet<string>;
  /** The longest run time a dispatch may ask for. */
  runTimeoutMaxMs?: number;
  /** Requests from the network: one without a Host header is a 400 (requests built in-process may have none). */
  requireHost?: boolean;
  /** MUSTER_METRICS_PUBLIC: `/metrics` answers without the bearer token. */
  metricsPublic?: boolean;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(`${JSON.stringify(body)}\n`, { status, headers: { "content-type": "application/json", ...headers } });

/** Reads at most `limit` bytes of the body; undefined when it is larger. @internal */
async function readBody(request: Request, limit: number): Promise<Uint8Array | undefined> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) return undefined;
  if (!request.body) return new Uint8Array(0);
  const { bytes, overflow } = await readAtMost(request.body, limit);
  return overflow ? undefined : bytes;
}

/**
 * Creates the request handler.
 *
 * @example
 * ```ts
 * const handle = createApiHandler(deps);
 * const response = await handle(new Request("http://runner/healthz")); // 200
 * ```
 */
export function createApiHandler(deps: ApiDeps): (request: Request) => Promise<Response> {
  const { metrics } = deps;
  const served = createRoutes(deps);
  return (request) => {
    if (deps.requireHost && !request.headers.get("host")) {
      metrics.rejected(400);
      return Promise.resolve(json(400, { error: "invalid request: a Host header is required" }));
    }
    return served(request);
  };
}

function createRoutes(deps: ApiDeps): (request: Request) => Promise<Response> {
  const { runs, tokens, metrics } = deps;
  const reject = (status: number, error: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) => {
    metrics.rejected(status);
    return json(status, { error, ...extra }, headers);
  };

  const dispatch = async (request: Request): Promise<Response> => {
    if (!(await tokens.authorize(request.headers.get("authorization")))) return reject(401, "missing or invalid bearer token", {}, { "www-authenticate": "Bearer" });
    if (runs.draining) return reject(503, "the runner is shutting down", {}, { "retry-after": "30" });
    const read = await readJson(request);
    if (read instanceof Response) return read;
    const parsed = parseDispatch(read.body);
    if (!parsed.ok) return reject(400, "invalid dispatch", { errors: parsed.errors });
    // A gate answered in the dispatch is no gate: the operator may require answers at the gate.
    if (deps.dispatchAnswers === false && parsed.dispatch.answers !== undefined) {
      return reject(400, "invalid dispatch", { errors: [{ field: "answers", message: "a dispatch may not carry answers on this runner (MUSTER_DISPATCH_ANSWERS=0): answer each gate with POST /runs/ID/answers" }] });
    }
    // A result that could never be delivered is refused now, not after the run.
    const asked = parsed.dispatch.timeout === undefined ? undefined : parseDuration(parsed.dispatch.timeout)!;
    if (asked !== undefined && deps.runTimeoutMaxMs !== undefined && asked > deps.runTimeoutMaxMs) {
      return reject(400, "invalid dispatch", { errors: [{ field: "timeout", message: `must be at most ${formatDuration(deps.runTimeoutMaxMs)} (MUSTER_RUN_TIMEOUT_MAX)` }] });
    }
    const callbackProblem = callbackUrlProblem(parsed.dispatch.callbackUrl, deps.callbackAllowHosts ?? new Set());
    if (callbackProblem) return reject(400, "invalid dispatch", { errors: [{ field: "callbackUrl", message: callbackProblem }] });
    // The waiting notice goes under the callback's address policy.
    const notifyProblem = parsed.dispatch.notifyUrl === undefined ? undefined : callbackUrlProblem(parsed.dispatch.notifyUrl, deps.callbackAllowHosts ?? new Set());
    if (notifyProblem) return reject(400, "invalid dispatch", { errors: [{ field: "notifyUrl", message: notifyProblem }] });
    const result = await runs.submit(parsed.dispatch);
    if (result.kind === "full") return reject(429, result.why, {}, { "retry-after": "5" });
    if (result.kind === "conflict") return reject(409, `run ${JSON.stringify(parsed.dispatch.runId)} exists with a different ${result.field}`, { run: result.state });
    if (result.kind === "existing") return json(200, result.state);
    return json(202, { runId: result.state.runId, status: "queued" });
  };

  /** The JSON body of a request, or the response refusing it (415, 413, 400). */
  const readJson = async (request: Request): Promise<{ body: unknown } | Response> => {
    const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (type !== "application/json") return reject(415, "content-type must be application/json");
    const raw = await readBody(request, MAX_BODY_BYTES);
    if (!raw) return reject(413, `body larger than ${MAX_BODY_BYTES} bytes`);
    try {
      return { body: JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(raw)) as unknown };
    } catch {
      return reject(400, "body is not valid JSON", { errors: [{ field: "(body)", message: "must be valid UTF-8 JSON" }] });
    }
  };

  /** `POST /runs/:id/answers`: `{"answers": {"STEP": "VALUE"}, "digest": "..."}` resumes a waiting run. */
  const answer = async (request: Request, id: string): Promise<Response> => {
    const read = await readJson(request);
    if (read instanceof Response) return read;
    const parsed = parseAnswerBody(read.body);
    if (!parsed.ok) return reject(400, "invalid answers", { errors: parsed.errors });
    const outcome = await runs.answer(id, parsed.answers, parsed.digest);
    if (outcome.kind === "unknown") return reject(404, `no run ${JSON.stringify(id)}`);
    if (outcome.kind === "not-waiting") return reject(409, `run ${JSON.stringify(id)} is not waiting for an answer (it is ${outcome.state.status})`, { run: outcome.state });
    if (outcome.kind === "invalid") return reject(400, outcome.why, { errors: [{ field: "answers", message: outcome.why }] });
    return json(202, outcome.state);
  };

  const unauthorized = () => reject(401, "missing or invalid bearer token", {}, { "www-authenticate": "Bearer" });
  /** Whether the request may answer (or cancel) a waiting run: a 401/403 response when it may not. */
  const mayAnswer = async (header: string | null): Promise<Response | undefined> => {
    if (!deps.answerTokens) return (await tokens.authorize(header)) ? undefined : unauthorized();
    if (await deps.answerTokens.authorize(header)) return undefined;
    if (await tokens.authorize(header)) return reject(403, "this token may not answer or cancel a waiting run: MUSTER_ANSWER_TOKENS is set, and only its tokens may");
    return unauthorized();
  };

  const runRoute = async (request: Request, id: string, action: string | undefined): Promise<Response> => {
    const header = request.headers.get("authorization");
    const dispatcher = await tokens.authorize(header);
    // An answerer sees a run's status (what it asks, its digest) and answers it; nothing else.
    const answerer = !dispatcher && deps.answerTokens !== undefined && (await deps.answerTokens.authorize(header));
    if (!dispatcher && !answerer) return unauthorized();
    if (action === undefined) {
      if (request.method !== "GET") return reject(405, "use GET", {}, { allow: "GET" });
      const state = await runs.get(id);
      return state ? json(200, state) : reject(404, `no run ${JSON.stringify(id)}`);
    }
    if (action !== "cancel" && action !== "answers") return reject(404, "not found");
    if (request.method !== "POST") return reject(405, "use POST", {}, { allow: "POST" });
    if (action === "answers") {
      const refused = await mayAnswer(header);
      return refused ?? answer(request, id);
    }
    const before = await runs.get(id);
    if (!before) return reject(404, `no run ${JSON.stringify(id)}`);
    // Cancel of a waiting run is a "no" at its gate: the answerers' (under MUSTER_ANSWER_TOKENS); of any other run, the dispatchers'.
    if (before.status === "waiting") {
      const refused = await mayAnswer(header);
      if (refused) return refused;
    } else if (!dispatcher) {
      return reject(403, "this token may only answer or cancel a waiting run (MUSTER_ANSWER_TOKENS)");
    }
    if (before.finishedAt) return json(409, { error: "the run is already final", run: before });
    return json(202, await runs.cancel(id));
  };

  return async (request) => {
    // HTTP/1.0 without Host leaves no URL to route by: a client error (never a 500 and an error line).
    let path: string;
    try {
      path = new URL(request.url).pathname;
    } catch {
      return reject(400, "invalid request: a Host header is required");
    }
    if (path === "/healthz") return json(200, { status: "ok" });
    if (path === "/readyz") return runs.draining ? json(503, { status: "draining" }) : json(200, { status: "ready" });
    if (path === "/metrics") {
      if (!deps.metricsPublic && !(await tokens.authorize(request.headers.get("authorization")))) {
        return reject(401, "missing or invalid bearer token (/metrics needs it unless MUSTER_METRICS_PUBLIC=1)", {}, { "www-authenticate": "Bearer" });
      }
      return new Response(metrics.render(await runs.gauges()), {
        headers: { "content-type": "text/plain; version=0.0.4" },
      });
    }
    if (path === "/dispatch") return request.method === "POST" ? dispatch(request) : reject(405, "use POST", {}, { allow: "POST" });
    const match = /^\/runs\/([A-Za-z0-9._-]{1,128})(?:\/([a-z]+))?$/.exec(path);
    if (match) return runRoute(request, match[1]!, match[2]);
    return reject(404, "not found");
  };
}
