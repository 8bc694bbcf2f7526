import { describe, expect, test } from "bun:test";
import { Semaphore } from "./semaphore.ts";

describe("Semaphore", () => {
  test("rejects a bad max with the value and the rule", () => {
    expect(() => new Semaphore(0)).toThrow("'max' must be a whole number of at least 1: current value is 0");
    expect(() => new Semaphore(1.5)).toThrow("current value is 1.5");
    expect(new Semaphore(Infinity).available).toBe(Infinity);
  });

  test("never lets more than max run, and serves waiters in order", async () => {
    const sem = new Semaphore(3);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        sem.with(async () => {
          order.push(i);
          running++;
          peak = Math.max(peak, running);
          await Bun.sleep(1);
          running--;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(order).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(sem.available).toBe(3);
  });

  test("over-release is an error", () => {
    expect(() => new Semaphore(1).release()).toThrow("release() called more often than acquire()");
  });

  test("100,000 waiters are all served and none is left waiting (a quadratic queue would hit the test timeout)", async () => {
    const sem = new Semaphore(1);
    await sem.acquire();
    let served = 0;
    const waiters = Array.from({ length: 100_000 }, () => sem.acquire().then(() => { served++; sem.release(); }));
    sem.release();
    await Promise.all(waiters);
    expect(served).toBe(100_000);
    expect(sem.waiting).toBe(0);
  });
});
