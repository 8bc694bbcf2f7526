/**
 * A counting semaphore with a FIFO queue of waiters and no busy waiting.
 * @module
 */

/** Limits how many holders may run at once. */
export class Semaphore {
  #available: number;
  #waiters: Array<() => void> = [];
  #head = 0;
  readonly max: number;

  /**
   * Creates a semaphore with `max` permits (`Infinity` for no limit).
   *
   * @example
   * ```ts
   * const sem = new Semaphore(2);
   * await sem.acquire();
   * sem.release();
   * ```
   */
  constructor(max: number) {
    if (!(max >= 1) || (!Number.isInteger(max) && max !== Infinity)) {
      throw new RangeError(`'max' must be a whole number of at least 1: current value is ${max}`);
    }
    this.max = max;
    this.#available = max;
  }

  /** Permits free right now. */
  get available(): number {
    return this.#available;
  }

  /** Callers waiting for a permit. */
  get waiting(): number {
    return this.#waiters.length - this.#head;
  }

  /** Resolves once a permit is held; waiters are served first come, first served. */
  acquire(): Promise<void> {
    if (this.#available > 0) {
      this.#available--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Returns a permit, handing it straight to the longest waiter if there is one. */
  release(): void {
    if (this.#head < this.#waiters.length) {
      const next = this.#waiters[this.#head]!;
      this.#waiters[this.#head++] = undefined as unknown as () => void;
      // Drop served slots now and then, so the queue does not grow without bound.
      if (this.#head > 1024 && this.#head * 2 > this.#waiters.length) {
        this.#waiters = this.#waiters.slice(this.#head);
        this.#head = 0;
      }
      next();
      return;
    }
    if (this.max !== Infinity && this.#available >= this.max) throw new Error("release() called more often than acquire()");
    this.#available++;
  }

  /**
   * Runs `fn` while holding a permit.
   *
   * @example
   * ```ts
   * const result = await sem.with(() => fetch(url));
   * ```
   */
  async with<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }
}
