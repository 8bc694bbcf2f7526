/**
 * Bearer-token checks in constant time, also for tokens of a different
 * length: both sides are hashed first, and every configured token is compared.
 * @module
 */

const encoder = new TextEncoder();

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/** Compares two equal-length byte arrays without an early exit. */
function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ (b[i] ?? 0);
  return diff === 0;
}

/** Checks `Authorization: Bearer <token>` headers against a set of tokens. */
export class TokenChecker {
  #digests: Promise<Uint8Array[]>;

  /**
   * @example
   * ```ts
   * const check = new TokenChecker(["s3cret-token-value"]);
   * await check.authorize("Bearer s3cret-token-value"); // true
   * ```
   */
  constructor(tokens: string[]) {
    this.#digests = Promise.all(tokens.map(digest));
  }

  /** Whether the header carries one of the tokens. */
  async authorize(header: string | null): Promise<boolean> {
    const match = /^Bearer ([^\s]+)$/i.exec(header ?? "");
    const presented = await digest(match?.[1] ?? "");
    let ok = false;
    for (const known of await this.#digests) ok = equalBytes(known, presented) || ok;
    return ok && match !== null;
  }
}
