/**
 * The http step's redirects, followed by hand so that every hop is checked
 * by the policy the first request was held to:
 *
 * - http or https only, never from https down to http, no credentials in
 *   the URL;
 * - the address class of the first request: when it went to a public
 *   address, every hop must resolve to public addresses only (a public
 *   service cannot send the run to 169.254.169.254, the loopback or the
 *   private network); a first request to a private or loopback address (a
 *   workflow that calls its own network) allows hops there too;
 * - at most {@linkcode MAX_REDIRECTS} hops;
 * - a hop to another origin carries none of the headers the step set except
 *   `Accept`, `Content-Type` and `User-Agent` (no `Authorization`, cookies,
 *   or API keys such as `X-Api-Key`).
 *
 * The hop's name is resolved to judge it, then fetched by name: an answer
 * that changes in between is the same gap the README names for callbacks
 * under Deno.
 * @module
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { isBlockedAddress } from "../serve/address-policy.ts";

/** Redirects one request may follow (as Go's http client, which Atmos uses). */
export const MAX_REDIRECTS = 10;

/** Resolves a host to its addresses. */
export type Resolve = (host: string) => Promise<Array<{ address: string; family: number }>>;

const systemResolve: Resolve = (host) => lookup(host, { all: true, verbatim: true });

/** Headers a hop to another origin keeps. */
const CROSS_ORIGIN_KEPT = new Set(["accept", "accept-language", "content-type", "user-agent"]);

/** Whether `url`'s host resolves only to public addresses (undefined: it does not resolve). */
export async function isPublicTarget(url: URL, resolve: Resolve = systemResolve): Promise<boolean | undefined> {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await resolve(host).catch(() => []);
  if (addresses.length === 0) return undefined;
  return !addresses.some((a) => isBlockedAddress(a.address));
}

/**
 * Why the redirect from `from` to `to` is refused; undefined when it may be
 * followed. `firstPublic`: the first request went to a public address.
 *
 * @example
 * ```ts
 * await redirectProblem(new URL("https://api.example/x"), new URL("http://169.254.169.254/"), true); // "... from https to http ..."
 * ```
 */
export async function redirectProblem(from: URL, to: URL, firstPublic: boolean, resolve: Resolve = systemResolve): Promise<string | undefined> {
  const shown = `${to.protocol}//${to.host}`;
  if (to.protocol !== "http:" && to.protocol !== "https:") return `redirect to ${to.protocol} refused: only http and https are followed`;
  if (from.protocol === "https:" && to.protocol === "http:") return `redirect from https to http (${shown}) refused`;
  if (to.username || to.password) return `redirect to a URL with credentials (${shown}) refused`;
  // Fail closed: a hop whose name does not resolve now could resolve to a private address when fetch asks again.
  if (firstPublic && (await isPublicTarget(to, resolve)) !== true) {
    return `redirect to ${shown} refused: it is not a public address, and the first request went to a public one`;
  }
  return undefined;
}

/** The headers of a hop: all of them on the same origin, else only the harmless ones. */
export function hopHeaders(headers: Headers, from: URL, to: URL): Headers {
  if (from.origin === to.origin) return new Headers(headers);
  const kept = new Headers();
  for (const [name, value] of headers) if (CROSS_ORIGIN_KEPT.has(name.toLowerCase())) kept.set(name, value);
  return kept;
}

/**
 * Sends `init` to `url`, following redirects by the rules above; resolves
 * to the final response, or throws an Error saying which hop was refused.
 *
 * @example
 * ```ts
 * const response = await fetchFollowing("https://api.example/deploy", { method: "POST" }, signal);
 * ```
 */
export async function fetchFollowing(url: string, init: RequestInit, signal: AbortSignal, resolve: Resolve = systemResolve): Promise<Response> {
  let current = new URL(url);
  const firstPublic = (await isPublicTarget(current, resolve)) === true;
  let method = (init.method ?? "GET").toUpperCase();
  let body = init.body;
  let headers = new Headers(init.headers);
  for (let hop = 0; ; hop++) {
    const response = await fetch(current, { ...init, method, body, headers, redirect: "manual", signal });
    const location = response.headers.get("location");
    if (![301, 302, 303, 307, 308].includes(response.status) || location === null) return response;
    await response.body?.cancel().catch(() => {});
    if (hop >= MAX_REDIRECTS) throw new RedirectRefused(`more than ${MAX_REDIRECTS} redirects`);
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw new RedirectRefused(`redirect to ${JSON.stringify(location)} refused: not a URL`);
    }
    const problem = await redirectProblem(current, next, firstPublic, resolve);
    if (problem) throw new RedirectRefused(problem);
    // As fetch does: 303 (and 301/302 after a POST) continue as GET without a body.
    if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === "POST")) {
      if (method !== "HEAD") method = "GET";
      body = undefined;
      headers.delete("content-type");
    }
    headers = hopHeaders(headers, current, next);
    current = next;
  }
}

/** A redirect the policy refused: the step fails (never retried). */
export class RedirectRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RedirectRefused";
  }
}
