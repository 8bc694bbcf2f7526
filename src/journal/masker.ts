/**
 * Keeping masked values out of the journal: a password prompt's answer and
 * result, and the values of secret-looking environment variables
 * (`*TOKEN*`, `*SECRET*`, `*PASSWORD*`, `*API_KEY*`, ... of 6 characters
 * or more), wherever they appear in what is written, become `[masked]`.
 * @module
 */
import { MASKED } from "./run-record.ts";

/** Environment variable names whose values are secrets. */
const SECRET_NAME = /TOKEN|SECRET|PASSW(OR)?D|API_?KEY|PRIVATE_?KEY|CREDENTIAL|_AUTH$|^AUTH_/i;

/**
 * The secrets of one run and the function that hides them.
 *
 * @example
 * ```ts
 * const masker = new Masker().add("hunter22");
 * masker.mask({ value: "pw=hunter22" }); // { value: { value: "pw=[masked]" }, masked: true }
 * ```
 */
export class Masker {
  #secrets: string[] = [];

  /** Registers secrets (empty values are ignored). */
  add(...secrets: Array<string | undefined>): this {
    for (const secret of secrets) if (secret) this.#secrets.push(secret);
    // The longest first: a secret that contains another is replaced whole.
    this.#secrets.sort((a, b) => b.length - a.length);
    return this;
  }

  /** Registers the values of `env`'s secret-looking variables. */
  addEnv(env: Record<string, string>): this {
    return this.add(...Object.entries(env).filter(([name, value]) => SECRET_NAME.test(name) && value.length >= 6).map(([, value]) => value));
  }

  /** `value` with every secret in its strings (and keys) replaced, and whether any was. */
  mask<T>(value: T): { value: T; masked: boolean } {
    let masked = false;
    const text = (s: string): string => {
      let out = s;
      for (const secret of this.#secrets) {
        if (!out.includes(secret)) continue;
        out = out.split(secret).join(MASKED);
        masked = true;
      }
      return out;
    };
    const walk = (v: unknown): unknown => {
      if (typeof v === "string") return text(v);
      if (Array.isArray(v)) return v.map(walk);
      if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, inner]) => [text(k), walk(inner)]));
      return v;
    };
    return { value: walk(value) as T, masked };
  }
}
