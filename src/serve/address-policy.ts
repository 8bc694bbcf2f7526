/**
 * Where callbacks may go. A callback URL comes from a request, so it must
 * not reach the runner's own network: https only, and the resolved address
 * must be public, unless its host is allow-listed. The address that was
 * checked is the one connected to (no DNS rebinding).
 * @module
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";

function ipv4ToInt(ip: string): number {
  return ip.split(".").reduce((n, part) => (n << 8) + Number(part), 0) >>> 0;
}

/**
 * IPv4 ranges a callback may not reach: the IANA IPv4 special-purpose
 * address registry (those not globally reachable, and the anycast relays
 * 192.88.99.0/24 and AS112 that route to whoever announces them),
 * multicast and the reserved 240/4.
 */
const V4_BLOCKED: Array<[string, number]> = [
  ["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16], ["172.16.0.0", 12],
  ["192.0.0.0", 24], ["192.0.2.0", 24], ["192.31.196.0", 24], ["192.52.193.0", 24], ["192.88.99.0", 24], ["192.168.0.0", 16],
  ["192.175.48.0", 24], ["198.18.0.0", 15], ["198.51.100.0", 24], ["203.0.113.0", 24], ["224.0.0.0", 4], ["240.0.0.0", 4],
];

/** Whether an IPv4 address is loopback, private, link-local or otherwise not public. */
export function isBlockedV4(ip: string): boolean {
  const n = ipv4ToInt(ip);
  return V4_BLOCKED.some(([base, bits]) => (n >>> (32 - bits)) === (ipv4ToInt(base) >>> (32 - bits)));
}

/** Expands an IPv6 address to 8 16-bit groups. */
function ipv6Groups(ip: string): number[] {
  let text = ip.toLowerCase();
  const v4 = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (v4) {
    const n = ipv4ToInt(v4[1]!);
    text = text.slice(0, -v4[1]!.length) + `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const h = head ? head.split(":") : [];
  const t = tail !== undefined && tail !== "" ? tail.split(":") : [];
  const fill = tail === undefined ? [] : Array(8 - h.length - t.length).fill("0");
  return [...h, ...fill, ...t].map((g) => parseInt(g, 16));
}

/** Whether an IPv6 address is loopback, link-local, unique-local, mapped/embedded IPv4 that is blocked, etc. */
export function isBlockedV6(ip: string): boolean {
  const g = ipv6Groups(ip);
  if (g.length !== 8 || g.some((x) => Number.isNaN(x))) return true;
  const allZeroUntil = (i: number) => g.slice(0, i).every((x) => x === 0);
  if (allZeroUntil(8)) return true; // ::
  if (allZeroUntil(7) && g[7] === 1) return true; // ::1
  const embedded = (hi: number, lo: number) => `${hi >>> 8}.${hi & 0xff}.${lo >>> 8}.${lo & 0xff}`;
  if (allZeroUntil(5) && g[5] === 0xffff) return isBlockedV4(embedded(g[6]!, g[7]!)); // ::ffff:a.b.c.d
  if (allZeroUntil(4) && g[4] === 0xffff && g[5] === 0) return true; // ::ffff:0:0/96 (SIIT): translated IPv4, reachability unknown
  if (allZeroUntil(6)) return true; // ::a.b.c.d (deprecated compatible)
  if (g[0] === 0x64 && g[1] === 0xff9b && g[2] === 1) return true; // 64:ff9b:1::/48 local-use NAT64
  if (g[0] === 0x64 && g[1] === 0xff9b) return isBlockedV4(embedded(g[6]!, g[7]!)); // NAT64
  if (g[0] === 0x100 && g[1] === 0 && g[2] === 0 && g[3] === 0) return true; // 100::/64 discard-only
  if (g[0] === 0x2001 && g[1]! < 0x200) return true; // 2001::/23 IETF protocol assignments (Teredo 2001::/32, ORCHID, benchmarking)
  if (g[0] === 0x3fff && g[1]! < 0x1000) return true; // 3fff::/20 documentation
  if (g[0] === 0x5f00) return true; // 5f00::/16 segment routing SIDs
  if ((g[0]! & 0xffc0) === 0xfec0) return true; // fec0::/10 deprecated site-local
  if ((g[0]! & 0xfe00) === 0xfc00) return true; // fc00::/7 unique local
  if ((g[0]! & 0xffc0) === 0xfe80) return true; // fe80::/10 link local
  if ((g[0]! & 0xff00) === 0xff00) return true; // multicast
  if (g[0] === 0x2001 && g[1] === 0xdb8) return true; // documentation
  if (g[0] === 0x2002) return isBlockedV4(embedded(g[1]!, g[2]!)); // 6to4
  return false;
}

/** Whether `ip` (v4 or v6) must not be called back. */
export function isBlockedAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return isBlockedV4(ip);
  if (family === 6) return isBlockedV6(ip);
  return true;
}

/**
 * What can be known of a callback URL without resolving it: its scheme,
 * credentials, and (for a literal address) the range. Checked at dispatch
 * so that a run whose result could never be delivered is not started.
 *
 * @example
 * ```ts
 * callbackUrlProblem("file:///etc/passwd", new Set()); // "callbackUrl must use https ..."
 * callbackUrlProblem("https://hooks.example.com/cb", new Set()); // undefined
 * ```
 */
export function callbackUrlProblem(rawUrl: string, allowHosts: ReadonlySet<string>): string | undefined {
  return judgeUrl(rawUrl, allowHosts).problem;
}

/** The URL, its host as compared (no brackets, lower case), whether it is allow-listed, and what is wrong with it without resolving. */
function judgeUrl(rawUrl: string, allowHosts: ReadonlySet<string>): { url?: URL; hostname: string; allowed: boolean; problem?: string } {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return { hostname: "", allowed: false, problem: "callbackUrl is not a URL" };
  }
  // The WHATWG parser has already normalised 2130706433, 0x7f.1 and [::ffff:127.0.0.1].
  const hostname = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const allowed = allowHosts.has(hostname) || allowHosts.has(url.host.toLowerCase());
  const judged = { url, hostname, allowed };
  if (url.protocol !== "https:" && url.protocol !== "http:") return { ...judged, problem: `callbackUrl must use https (got ${url.protocol.slice(0, -1)})` };
  if (url.username || url.password) return { ...judged, problem: "callbackUrl must not carry credentials" };
  if (url.protocol === "http:" && !allowed) return { ...judged, problem: `callbackUrl must use https (host ${hostname} is not in MUSTER_CALLBACK_ALLOW_HOSTS for http)` };
  if (!allowed && isIP(hostname) && isBlockedAddress(hostname)) return { ...judged, problem: `callbackUrl host ${hostname} is not a public address (allow it with MUSTER_CALLBACK_ALLOW_HOSTS)` };
  return judged;
}

/** A callback target that passed the policy: connect to `address`, present `hostname`. */
export interface CheckedTarget {
  url: URL;
  hostname: string;
  address: string;
  family: 4 | 6;
  /** Every resolved address, all checked, in the resolver's order: a sender falls back across them. */
  addresses: Array<{ address: string; family: 4 | 6 }>;
}

/** Raised when a callback URL is refused; the message says why. */
export class CallbackRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CallbackRefused";
  }
}

/**
 * Checks `rawUrl` and resolves its host once.
 *
 * @example
 * ```ts
 * await checkCallbackUrl("http://127.0.0.1:9000/cb", new Set()); // throws CallbackRefused
 * ```
 */
export async function checkCallbackUrl(
  rawUrl: string,
  allowHosts: ReadonlySet<string>,
  resolve: (host: string) => Promise<Array<{ address: string; family: number }>> = (host) => lookup(host, { all: true, verbatim: true }),
): Promise<CheckedTarget> {
  // What needs no DNS is judged as at dispatch; then the name is resolved, and every address checked.
  const { url, hostname, allowed, problem } = judgeUrl(rawUrl, allowHosts);
  if (problem || !url) throw new CallbackRefused(problem ?? "callbackUrl is not a URL");
  const literal = isIP(hostname);
  const addresses = literal ? [{ address: hostname, family: literal }] : await resolve(hostname).catch(() => []);
  if (addresses.length === 0) throw new CallbackRefused(`callbackUrl host ${hostname} does not resolve`);
  if (!allowed) {
    const blocked = addresses.find((a) => isBlockedAddress(a.address));
    if (blocked) throw new CallbackRefused(`callbackUrl host ${hostname} resolves to ${blocked.address}, which is not a public address`);
  }
  const all = addresses.map((a) => ({ address: a.address, family: (a.family === 6 ? 6 : 4) as 4 | 6 }));
  return { url, hostname, address: all[0]!.address, family: all[0]!.family, addresses: all };
}
