/**
 * Reporting a run's result to its callback URL: the address policy is
 * checked on every attempt, the checked address is the one connected to,
 * redirects are never followed, and 5xx/429/network errors are retried with
 * exponential backoff and jitter. 409 means the run is already final.
 * @module
 */
import { platform } from "../platform/index.ts";
import { CallbackRefused, checkCallbackUrl, type CheckedTarget } from "./address-policy.ts";
import { retry } from "../engine/retry.ts";

/** What the orchestrator receives. */
export interface CallbackPayload {
  runId: string;
  status: "succeeded" | "failed" | "canceled";
  exitCode: number | null;
  startedAt: string | null;
  finishedAt: string;
  durationMs: number;
  error: string | null;
  logTail: string;
}

/** What a dispatch's `notifyUrl` receives when its run suspends at a prompt (never the callback: that gets final results only). */
export interface WaitingNotice {
  runId: string;
  status: "waiting";
  workflow: string;
  stack: string | null;
  waitingFor: { step: string; type: string; prompt: string; options?: string[]; default?: string; since: string; digest: string };
}

/** How delivery went. */
export interface CallbackOutcome {
  delivered: boolean;
  attempts: number;
  status?: number;
  error?: string;
  /** Retries were stopped (shutdown) while the callback could still succeed: never stored, it is sent again later. */
  stopped?: boolean;
}

/** Options for {@linkcode sendCallback}. */
export interface CallbackOptions {
  allowHosts: ReadonlySet<string>;
  attempts: number;
  baseDelayMs: number;
  log: (message: string, fields?: Record<string, unknown>) => void;
  resolve?: Parameters<typeof checkCallbackUrl>[2];
  /** Stops waiting between attempts (a runner that must exit now). */
  signal?: AbortSignal;
}

const NEVER = new AbortController().signal;

/**
 * The request to the checked address, presenting the original host. Over
 * https the pin needs a runtime whose fetch takes a TLS server name (Bun);
 * elsewhere (Deno) the request goes to the host name, whose addresses were
 * all checked just before (a DNS answer that changes in between is the gap
 * the README names). @internal
 */
function pinnedRequest(target: CheckedTarget, token: string | undefined, body: string, stop: AbortSignal): { request: Request; serverName?: string; pinned: boolean } {
  const url = new URL(target.url);
  const host = url.host;
  const https = url.protocol === "https:";
  const pinned = !https || platform.pinsTlsServerName;
  if (pinned) url.hostname = target.family === 6 ? `[${target.address}]` : target.address;
  const headers: Record<string, string> = { "content-type": "application/json", host, "user-agent": "muster-runner" };
  if (token) headers.authorization = `Bearer ${token}`;
  const request = new Request(url, { method: "POST", headers, body, redirect: "manual", signal: AbortSignal.any([AbortSignal.timeout(10_000), stop]) });
  return { request, serverName: https && platform.pinsTlsServerName ? target.hostname : undefined, pinned };
}

/**
 * Sends `payload`; never throws.
 *
 * @example
 * ```ts
 * const outcome = await sendCallback(url, token, payload, { allowHosts: new Set(), attempts: 5, baseDelayMs: 500, log });
 * ```
 */
export async function sendCallback(url: string, token: string | undefined, payload: CallbackPayload | WaitingNotice, options: CallbackOptions): Promise<CallbackOutcome> {
  const body = JSON.stringify(payload);
  /** One delivery: its outcome, and whether another attempt could change it. */
  const deliver = async (attempt: number): Promise<{ outcome: CallbackOutcome; retry: boolean }> => {
    try {
      const target = await checkCallbackUrl(url, options.allowHosts, options.resolve);
      // Every resolved address passed the policy: one that cannot be reached falls back to the next (a v6 answer on a v4-only runner).
      let response: Response | undefined;
      let unreachable: unknown;
      for (const address of target.addresses) {
        const { request, serverName, pinned } = pinnedRequest({ ...target, ...address }, token, body, options.signal ?? NEVER);
        try {
          response = await platform.fetchVia(request, serverName ? { tls: { serverName } } : {});
          break;
        } catch (error) {
          unreachable = error;
          if (!pinned) break; // the runtime resolved the name itself: another address would be the same request
        }
      }
      if (!response) throw unreachable;
      await response.body?.cancel();
      if (response.ok || response.status === 409) return { outcome: { delivered: true, attempts: attempt, status: response.status }, retry: false };
      const outcome: CallbackOutcome = { delivered: false, attempts: attempt, status: response.status };
      if (response.status >= 300 && response.status < 400) outcome.error = `callback answered ${response.status}: redirects are not followed`;
      else if (response.status === 429 || response.status >= 500) return { outcome, retry: true };
      else outcome.error = `callback answered ${response.status}`;
      return { outcome, retry: false };
    } catch (error) {
      if (error instanceof CallbackRefused) return { outcome: { delivered: false, attempts: attempt, error: error.message }, retry: false };
      return { outcome: { delivered: false, attempts: attempt, error: `callback failed: ${(error as Error).message}` }, retry: true };
    }
  };
  // The engine's attempt loop and backoff: exponential from baseDelayMs, ±50 % jitter.
  const tried = await retry(({ number }) => deliver(number), {
    policy: { maxAttempts: options.attempts, backoff: "exponential", initialDelayMs: options.baseDelayMs, multiplier: 2, jitter: 0.5 },
    signal: options.signal,
    retryable: ({ outcome, retry }) => (retry ? outcome.error ?? `callback answered ${outcome.status}` : undefined),
    onRetry: ({ attempt, delayMs, value }) => options.log("callback will be retried", { attempt, status: value.outcome.status, delayMs }),
  });
  const last = tried.value.outcome;
  if (tried.stopped === "signal") return { ...last, error: last.error ?? "callback retries stopped", stopped: true };
  if (tried.stopped === undefined) return last;
  return { ...last, error: last.error ?? `callback answered ${last.status} ${options.attempts} times` };
}
