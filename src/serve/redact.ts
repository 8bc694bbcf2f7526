/**
 * Keeping secrets out of logs and callbacks: every registered secret is
 * replaced by `[redacted]` wherever it appears.
 * @module
 */

/** A set of secrets and the function that hides them. */
export class Redactor {
  #secrets: string[] = [];

  /** Registers secrets (empty and very short values are ignored: they would redact noise). */
  add(...secrets: Array<string | undefined>): this {
    for (const secret of secrets) {
      if (!secret || secret.length < 6) continue;
      this.#secrets.push(secret);
      // A key is also matched line by line: logs may wrap it.
      for (const line of secret.split("\n")) if (line.trim().length >= 16) this.#secrets.push(line.trim());
    }
    this.#secrets.sort((a, b) => b.length - a.length);
    return this;
  }

  /**
   * @example
   * ```ts
   * new Redactor().add("hunter2-token").redact("token=hunter2-token"); // "token=[redacted]"
   * ```
   */
  redact(text: string): string {
    let out = text;
    for (const secret of this.#secrets) if (out.includes(secret)) out = out.split(secret).join("[redacted]");
    return out;
  }

  /** A child redactor that also knows `more`. */
  with(...more: Array<string | undefined>): Redactor {
    const child = new Redactor();
    child.#secrets = [...this.#secrets];
    return child.add(...more);
  }
}
