/**
 * `type: http` (alias `webhook`): one HTTP request, as Atmos' http step
 * (pkg/runner/step/http.go). `url` (absolute), `method` (GET), `headers`,
 * `query`, and `body` or `form` (URL-encoded, or JSON when the
 * Content-Type says so) are templates. It succeeds when the status matches
 * `expect.status` (any 2xx by default) and the body matches one of the
 * `expect.response` patterns (`/.../` slashes stripped), if any. `timeout`
 * bounds each attempt (30s). With `retry:` it retries transport errors,
 * 5xx and 429, a body that does not match `expect.response` yet (with
 * an expected status; Atmos does not retry those, though its own
 * poll-health example relies on it), and responses whose `"<code> <body>"`
 * matches one of `retry.conditions`; nothing else. The body is read up to 4 MiB. Stores
 * the body, with `status_code`, `status`, `response_headers`, `attempts`,
 * `duration`. It reports `Webhook "name" sent METHOD request to HOST and
 * received HTTP CODE` on stderr: the host only, as a URL's path and query
 * may carry secrets.
 * @module
 */
import * as v from "valibot";
import { EXIT_FAILURE, EXIT_OK } from "../exit-codes.ts";
import { readAtMost } from "../util/bytes.ts";
import { formatDuration } from "../workflow/duration.ts";
import { duration, expect, nonEmpty, retryEntries, retryPolicyOf, str, stringMap } from "../workflow/schema.ts";
import type { RetryPolicy } from "../workflow/types.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { always, LEAF } from "./behaviours.ts";
import { listOf, listTexts, type MessagePlan, messageParts, type MessageStep, say } from "./message.ts";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;
/** How much of a response body is read. */
export const HTTP_BODY_LIMIT = 4 * 1024 * 1024;

/** An http step; every templated text is in `texts` (`url`, `headers.X`, `query.X`, `form.X`, `body`, `expect.response.0`). */
export interface HttpStep extends MessageStep {
  type: "http" | "webhook";
  method: (typeof METHODS)[number];
  expectStatus: number[];
  attemptTimeoutMs: number;
  policy?: RetryPolicy & { conditions: string[] };
}

/** An http step, planned: its texts rendered. */
export type HttpPlan = MessagePlan;

const statusList = v.pipe(
  v.union([v.number(), v.array(v.number())], expect("a status code or a list of them")),
  v.transform((s) => (Array.isArray(s) ? s : [s])),
);

/** `retry:` of an http step: the common fields plus `conditions` (patterns matched against `"<code> <body>"`), all positioned by the parser. */
const httpRetry = v.pipe(
  v.strictObject(
    { ...retryEntries, conditions: v.optional(v.array(v.pipe(v.union([v.string(), v.number()], expect("a pattern")), v.transform(String)), expect("a list of patterns")), []) },
    expect("a map with max_attempts, backoff_strategy, initial_delay, ..., conditions"),
  ),
  v.transform((r) => ({ policy: retryPolicyOf(r), conditions: r.conditions })),
);

/** Strips the `/.../` some authors put around a pattern, as Atmos does. */
const stripSlashes = (pattern: string) => (pattern.length >= 2 && pattern.startsWith("/") && pattern.endsWith("/") ? pattern.slice(1, -1) : pattern);

function httpKind(type: "http" | "webhook"): StepKind<HttpStep, HttpPlan> {
  // Every field is a text keyed by its path (`headers.X`), as for message steps: their templates and plan serve.
  const { templates, plan } = messageParts<HttpStep>(type);
  return defineKind({
    type,
    summary: type === "http" ? "Send an HTTP request (expect, retry)" : "Same as http",
    // Atmos sends http requests under --dry-run too (a health poll or a notification is part of the preview).
    behaviours: { ...LEAF, timeout: false, retry: false, concurrent: false, dryRun: true },
    quietStart: always,
    produces: ["status_code", "status", "response_headers", "attempts", "duration"],
    fields: () => ({
      url: nonEmpty,
      method: v.optional(v.pipe(str, v.transform((m) => m.toUpperCase()), v.picklist(METHODS, expect(`one of: ${METHODS.join(", ")}`))), "GET"),
      headers: v.optional(stringMap, {}),
      query: v.optional(stringMap, {}),
      body: v.optional(str),
      form: v.optional(stringMap),
      expect: v.optional(v.strictObject({ status: v.optional(statusList), response: v.optional(v.union([str, v.array(str)], expect("a pattern or a list of patterns"))) }, expect("a map with status and response")), {}),
      timeout: v.optional(duration, "30s"),
      retry: v.optional(httpRetry),
    }),
    build(fields, base, ctx) {
      const url = fields.url;
      if (!url.includes("{{") && !/^https?:\/\/[^/]/i.test(url)) {
        ctx.report(["url"], `field "url": ${JSON.stringify(url)} is not an absolute http(s) URL (expected such as https://hooks.example.com/deploy)`);
        return undefined;
      }
      if (fields.body !== undefined && fields.form !== undefined) {
        ctx.report(["form"], `"body" and "form" are both set (expected one of them)`, "key");
        return undefined;
      }
      const exp = fields.expect;
      const responses = exp.response === undefined ? [] : Array.isArray(exp.response) ? exp.response : [exp.response];
      for (const [i, pattern] of responses.entries()) {
        if (pattern.includes("{{")) continue;
        try {
          new RegExp(stripSlashes(pattern));
        } catch (error) {
          ctx.report(["expect", "response", ...(Array.isArray(exp.response) ? [i] : [])], `field "expect.response": ${(error as Error).message}`);
          return undefined;
        }
      }
      const r = fields.retry;
      for (const [i, pattern] of (r?.conditions ?? []).entries()) {
        try {
          new RegExp(pattern);
        } catch {
          // The runtime's own wording differs between Bun and Deno: the message is muster's.
          ctx.report(["retry", "conditions", i], `field "retry.conditions": ${JSON.stringify(pattern)} is not a regular expression (expected a pattern such as "503|timed out")`);
          return undefined;
        }
      }
      const prefixed = (name: string, map: Record<string, string> | undefined) => Object.fromEntries(Object.entries(map ?? {}).map(([k, text]) => [`${name}.${k}`, text]));
      return {
        ...base,
        type,
        method: fields.method,
        expectStatus: exp.status ?? [],
        attemptTimeoutMs: fields.timeout,
        policy: r ? { ...r.policy, conditions: r.conditions } : undefined,
        texts: {
          url,
          ...prefixed("headers", fields.headers),
          ...prefixed("query", fields.query),
          ...prefixed("form", fields.form),
          ...(fields.body !== undefined ? { body: fields.body } : {}),
          ...listTexts("expect.response", responses),
        },
      };
    },
    templates,
    plan,
    describe: (planned) => `${planned.step.method} ${hostOf(planned.resolved.texts.url!)}`,
    view: (planned) => ({ name: planned.name, type, method: planned.step.method, ...planned.resolved.texts }),
    viewText: (planned) => ({
      head: `${type}, ${planned.step.method}`,
      lines: Object.entries(planned.resolved.texts).map(([k, text]) => `${k}: ${text.split("\n")[0]}`),
    }),
    async run(planned, ctx) {
      const { retry } = await import("../engine/retry.ts");
      const { step } = planned;
      const texts = planned.resolved.texts;
      const request = buildRequest(step, texts);
      if (typeof request === "string") return { status: "failed", exitCode: EXIT_FAILURE, error: request };
      const patterns = listOf(texts, "expect.response").map((p) => new RegExp(stripSlashes(p)));
      const conditions = (step.policy?.conditions ?? []).map((c) => new RegExp(c));
      const started = performance.now();
      const maxAttempts = step.policy?.maxAttempts ?? 1;
      const tried = await retry(
        ({ deadline }) => attempt(request, step.attemptTimeoutMs, ctx.cancellation.signal, deadline!, step.expectStatus, patterns, conditions),
        {
          policy: step.policy,
          timeoutMs: step.attemptTimeoutMs,
          signal: ctx.cancellation.signal,
          retryable: (last) => (last.ok || !last.retryable || ctx.cancellation.canceled ? undefined : last.error),
          onRetry: ({ attempt, delayMs, reason }) => ctx.emit({ type: "step.retry", path: ctx.path, attempt, maxAttempts, delayMs, reason }),
        },
      );
      const last = tried.value;
      const attempts = tried.attempts;
      if (ctx.cancellation.canceled) return { status: "canceled", exitCode: ctx.cancellation.exitCode, error: ctx.cancellation.reason };
      const took = formatDuration(performance.now() - started);
      const metadata = last.response
        ? { status_code: last.response.code, status: last.response.status, response_headers: last.response.headers, attempts, duration: took }
        : { attempts, duration: took };
      if (!last.ok) {
        const tries = !step.policy ? "" : last.retryable && attempts >= maxAttempts ? `max attempts (${maxAttempts}) exceeded, last error: ` : attempts > 1 ? `after ${attempts} attempts: ` : "";
        const notRetried = step.policy && !last.retryable && !ctx.cancellation.canceled ? " (not retried: only transport errors, 5xx, 429, a body that does not match yet, and retry.conditions are)" : "";
        return { status: "failed", exitCode: EXIT_FAILURE, error: `${step.method} ${hostOf(request.url)}: ${tries}${last.error}${notRetried}`, value: undefined };
      }
      await say(ctx, 2, `Webhook "${planned.name}" sent ${step.method} request to ${hostOf(request.url)} and received HTTP ${last.response!.code}`);
      return { status: "succeeded", exitCode: EXIT_OK, value: { value: last.response!.body, values: [], metadata } };
    },
  });
}

interface Captured {
  code: number;
  status: string;
  headers: Record<string, string>;
  body: string;
}

/** The request to send, or why there is none. */
function buildRequest(step: HttpStep, texts: Record<string, string>): { url: string; init: RequestInit } | string {
  let url: URL;
  try {
    url = new URL(texts.url!);
  } catch {
    return `url ${JSON.stringify(texts.url)} is not a URL (expected an absolute http(s) URL)`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `url ${JSON.stringify(texts.url)}: only http and https are supported`;
  const pick = (prefix: string) => Object.fromEntries(Object.entries(texts).filter(([k]) => k.startsWith(`${prefix}.`)).map(([k, value]) => [k.slice(prefix.length + 1), value]));
  for (const [k, value] of Object.entries(pick("query"))) url.searchParams.set(k, value);
  const headers = new Headers(pick("headers"));
  let body: string | undefined = texts.body;
  const form = pick("form");
  if (Object.keys(form).length > 0) {
    if ((headers.get("content-type") ?? "").includes("application/json")) body = JSON.stringify(form);
    else {
      body = new URLSearchParams(form).toString();
      if (!headers.has("content-type")) headers.set("content-type", "application/x-www-form-urlencoded");
    }
  }
  return { url: url.toString(), init: { method: step.method, headers, body } };
}

async function attempt(
  request: { url: string; init: RequestInit },
  timeoutMs: number,
  cancel: AbortSignal,
  deadline: AbortSignal,
  expectStatus: number[],
  patterns: RegExp[],
  conditions: RegExp[],
): Promise<{ ok: boolean; retryable: boolean; error: string; response?: Captured }> {
  try {
    // Redirects are followed by hand, each hop held to the first request's policy (http-redirects.ts).
    const { fetchFollowing } = await import("./http-redirects.ts");
    const response = await fetchFollowing(request.url, request.init, AbortSignal.any([cancel, deadline]));
    // Past the limit the body is cut (and the rest not read), as in Atmos.
    const body = response.body ? new TextDecoder().decode((await readAtMost(response.body, HTTP_BODY_LIMIT)).bytes) : "";
    const captured: Captured = { code: response.status, status: `${response.status} ${response.statusText}`.trim(), headers: Object.fromEntries(response.headers), body };
    const statusOk = expectStatus.length > 0 ? expectStatus.includes(response.status) : response.status >= 200 && response.status < 300;
    const bodyOk = patterns.length === 0 || patterns.some((p) => p.test(body));
    if (statusOk && bodyOk) return { ok: true, retryable: false, error: "", response: captured };
    // Atmos does not retry a body that does not match yet (its own poll-health example needs that): muster does, when the status was the expected one.
    const retryable = response.status >= 500 || response.status === 429 || (statusOk && !bodyOk) || conditions.some((c) => c.test(`${response.status} ${body}`));
    const why = !statusOk
      ? `HTTP ${response.status} (expected ${expectStatus.length > 0 ? expectStatus.join(" or ") : "2xx"})`
      : `HTTP ${response.status}, but the body matches none of: ${patterns.map(String).join(", ")}`;
    return { ok: false, retryable, error: why, response: captured };
  } catch (error) {
    if ((error as Error).name === "RedirectRefused") return { ok: false, retryable: false, error: (error as Error).message };
    const why = deadline.aborted ? `no response within ${formatDuration(timeoutMs)}` : `transport error: ${(error as Error).message}`;
    return { ok: false, retryable: !cancel.aborted, error: why };
  }
}

/** `https://host:port`, for messages: never the path or query. */
function hostOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return "(not a URL)";
  }
}

/** `type: http`. */
export const http = httpKind("http");
/** `type: webhook`, Atmos' alias of http. */
export const webhook = httpKind("webhook");
