import { expect, test } from "bun:test";
import { Cancellation } from "../engine/cancellation.ts";
import type { RunEvent } from "../engine/events.ts";
import { http } from "./http.ts";
import type { StepContext } from "./kind.ts";

/** A planned http step against a port nothing listens on, with `retry:` so the loop would go on. */
function planned(): Parameters<NonNullable<typeof http.run>>[0] {
  const step = {
    name: "ping", type: "http", method: "GET", expectStatus: [], attemptTimeoutMs: 1000,
    policy: { maxAttempts: 5, backoff: "constant", initialDelayMs: 60_000, multiplier: 2, jitter: 0, conditions: [] },
    texts: { url: "http://127.0.0.1:9/" },
  };
  return { name: "ping", step, resolved: { texts: { url: "http://127.0.0.1:9/" } } } as unknown as Parameters<NonNullable<typeof http.run>>[0];
}

function context(cancellation: Cancellation, events: RunEvent[]): StepContext {
  return { cancellation, path: ["ping"], emit: (e: RunEvent) => void events.push(e), write: () => {} } as unknown as StepContext;
}

for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  test(`a canceled http step reports canceled with exit ${code} after ${signal} (was 0)`, async () => {
    const cancellation = new Cancellation();
    cancellation.cancel(signal, "stopped");
    const events: RunEvent[] = [];
    const outcome = await http.run!(planned(), context(cancellation, events));
    expect(outcome.status).toBe("canceled");
    expect(outcome.exitCode).toBe(code);
    expect(events.filter((e) => e.type === "step.retry")).toEqual([]);
  });
}
