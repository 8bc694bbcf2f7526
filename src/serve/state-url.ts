/**
 * A state URL's secrets, for messages and the redactor: the password of
 * `postgres://USER:PASSWORD@HOST/DB` and the `password`/`sslpassword`
 * parameters, found whether or not the URL parses (a password holding `/`,
 * `@`, `:` or `%` that was not percent-encoded makes it malformed).
 * @module
 */

/** `password=` as a URL parameter or in key=value form (`host=db password=x`). */
const SECRET_PARAMS = /((?:^|[?&\s])(?:ssl)?password=)[^&#\s]*/gi;

/** The `user:password@` part of a URL, split at the last `@` before the path (a password may hold `@` and `/`). @internal */
function authority(url: string): { scheme: string; user: string; password?: string; rest: string } | undefined {
  const start = url.indexOf("//");
  if (start < 0) return undefined;
  const scheme = url.slice(0, start + 2);
  const after = url.slice(start + 2);
  // Userinfo ends at the last '@' before the first '?' or '#' (a query may hold '@': application_name=a@b); when
  // no '@' precedes it, the password itself holds '?' or '#': then at the last '@'. urlSecrets registers every split.
  const query = after.search(/[?#]/);
  const before = query < 0 ? -1 : after.lastIndexOf("@", query);
  const at = before >= 0 ? before : after.lastIndexOf("@");
  if (at < 0) return undefined;
  const userinfo = after.slice(0, at);
  const colon = userinfo.indexOf(":");
  return colon < 0
    ? { scheme, user: userinfo, rest: after.slice(at + 1) }
    : { scheme, user: userinfo.slice(0, colon), password: userinfo.slice(colon + 1), rest: after.slice(at + 1) };
}

/**
 * The URL without its password or password parameters, for messages;
 * `…` stands where they were.
 *
 * @example
 * ```ts
 * redactUrl("postgres://muster:p@ss/w:rd@db:5432/muster?sslpassword=x"); // "postgres://muster:…@db:5432/muster?sslpassword=…"
 * ```
 */
export function redactUrl(url: string): string {
  const parts = authority(url);
  const base = parts?.password === undefined ? url : `${parts.scheme}${parts.user}:…@${parts.rest}`;
  return base.replace(SECRET_PARAMS, "$1…");
}

/**
 * Every form of the URL's password the redactor should know: as written,
 * percent-decoded, and the values of `password`/`sslpassword` parameters.
 *
 * @example
 * ```ts
 * urlSecrets("postgres://muster:s%40cret-pw@db/muster"); // ["s%40cret-pw", "s@cret-pw"]
 * ```
 */
export function urlSecrets(url: string): string[] {
  const found: string[] = [];
  const password = authority(url)?.password;
  if (password) found.push(password);
  // Every other way the userinfo could end (an '@' in the password or in the query is ambiguous): masking a longer or
  // shorter candidate too costs nothing, missing the real password leaks it.
  const start = url.indexOf("//");
  if (start >= 0) {
    const after = url.slice(start + 2);
    const colon = after.indexOf(":");
    for (let at = after.indexOf("@"); at >= 0; at = after.indexOf("@", at + 1)) {
      if (colon >= 0 && colon < at) found.push(after.slice(colon + 1, at));
    }
  }
  for (const match of url.matchAll(SECRET_PARAMS)) {
    const value = match[0].slice(match[1]!.length);
    if (value) found.push(value);
  }
  const decoded = found.map((value) => {
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  });
  return [...new Set([...found, ...decoded])].filter(Boolean);
}
