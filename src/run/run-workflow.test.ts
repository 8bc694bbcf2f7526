import { afterEach, expect, jest, test } from "bun:test";
import { StepFailure } from "../errors.ts";
import type { PlannedStep, StepContext, StepKind, StepOutcome } from "../steps/kind.ts";
import { LEAF, never } from "../steps/behaviours.ts";
import { defineKind } from "../steps/define-kind.ts";
import type { RunContext } from "../workflow/run-context.ts";
import { parseCondition } from "../workflow/condition.ts";
import type { StepBase } from "../workflow/types.ts";
import { Cancellation } from "../engine/cancellation.ts";
import type { RunEvent } from "../engine/events.ts";
import { runWorkflow } from "./run-workflow.ts";
import { fakeRunContext, plannedStep, TEST_SOURCE } from "../../test/kit.ts";

/**
 * A step kind that exists only in this test: the engine runs any kind
 * through the same interface, so a new type is one object like this one.
 */
interface ProbeStep extends StepBase {
  /** What each attempt does, in order (the last one repeats). */
  script: Array<"ok" | "fail" | "hang" | "throw">;
}
const probe: StepKind<ProbeStep, null> = defineKind({
  type: "probe",
  summary: "test only",
  behaviours: LEAF,
  gates: never,
  fields: () => ({}),
  build: (_fields, base) => ({ ...base, script: ["ok"] }),
  templates: () => [],
  plan: () => null,
  describe: (planned) => `probe ${planned.step.script.join(",")}`,
  view: (planned) => ({ name: planned.name, type: "probe" }),
  viewText: () => ({ head: "probe", lines: [] }),
  async run(planned, ctx: StepContext): Promise<StepOutcome> {
    const attempts = (counts.get(planned.name) ?? 0) + 1;
    counts.set(planned.name, attempts);
    started.get(planned.name)?.();
    const action = planned.step.script[Math.min(attempts, planned.step.script.length) - 1]!;
    await ctx.write(1, new TextEncoder().encode(`${planned.name} ${action}\n`));
    if (action === "throw") throw new StepFailure("the probe broke", 42);
    if (action === "hang") {
      const signal = ctx.cancellation.signal;
      if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
      return { status: "canceled", exitCode: 130 };
    }
    return action === "ok" ? { status: "succeeded", exitCode: 0 } : { status: "failed", exitCode: 3 };
  },
});
const counts = new Map<string, number>();
/** Handshakes: resolved when the named step's runner starts. */
const started = new Map<string, () => void>();
const whenStarted = (name: string) => new Promise<void>((resolve) => started.set(name, resolve));

const source = TEST_SOURCE;
const step = (name: string, script: ProbeStep["script"], over: Partial<ProbeStep> = {}): PlannedStep => plannedStep(probe, { name, script, ...over }, null) as PlannedStep;

async function run(steps: PlannedStep[], options: { fromStep?: string; cancellation?: Cancellation } = {}) {
  const events: RunEvent[] = [];
  const workflow = { name: "wf", env: {}, steps: steps.map((s) => s.step), source };
  const ctx: RunContext = fakeRunContext({ workflow });
  const result = await runWorkflow({
    run: ctx,
    plan: { workflow, steps, errors: [] },
    observer: { emit: (e) => void events.push(e), wantsOutput: true },
    cancellation: options.cancellation ?? new Cancellation(),
    graceMs: 10,
    fromStep: options.fromStep,
  });
  const ends = Object.fromEntries(events.flatMap((e) => (e.type === "step.end" ? [[e.path.join("/"), e.result.status]] : [])));
  return { result, events, ends };
}

afterEach(() => {
  counts.clear();
  started.clear();
  jest.useRealTimers();
});

test("when: success after a failure is skipped; failure and always run; the first failure sets the exit code", async () => {
  const { result, ends } = await run([
    step("a", ["fail"]),
    step("b", ["ok"]),
    step("c", ["ok"], { when: parseCondition("failure") }),
    step("d", ["fail"], { when: parseCondition("always") }),
  ]);
  expect(ends).toEqual({ a: "failed", b: "skipped", c: "succeeded", d: "failed" });
  expect(result).toMatchObject({ exitCode: 3, failedStep: "a" });
  expect(result.results.map((r) => r.name)).toEqual(["a", "b", "c", "d"]);
});

test("--from-step starts at the named step", async () => {
  const { ends } = await run([step("a", ["fail"]), step("b", ["ok"])], { fromStep: "b" });
  expect(ends).toEqual({ b: "succeeded" });
});

test("events come in order: start, output, end; output is carried as bytes", async () => {
  const { events } = await run([step("a", ["ok"])]);
  expect(events.map((e) => e.type)).toEqual(["step.start", "step.output", "step.end"]);
  const output = events[1] as Extract<RunEvent, { type: "step.output" }>;
  expect(new TextDecoder().decode(output.data)).toBe("a ok\n");
});

test("an error thrown by a runner fails the step with the error's exit code and message", async () => {
  const { result, events } = await run([step("a", ["throw"])]);
  expect(result.exitCode).toBe(42);
  const end = events.find((e) => e.type === "step.end") as Extract<RunEvent, { type: "step.end" }>;
  expect(end.result).toMatchObject({ status: "failed", exitCode: 42, error: "the probe broke" });
});

test("retry: attempts with backoff (fake timers), one retry event per failed attempt", async () => {
  jest.useFakeTimers();
  const retry = { maxAttempts: 3, backoff: "exponential" as const, initialDelayMs: 1000, multiplier: 2, jitter: 0 };
  const running = run([step("a", ["fail", "fail", "ok"], { retry })]);
  for (let i = 0; i < 20 && counts.get("a") !== 3; i++) {
    await Promise.resolve();
    jest.advanceTimersByTime(1000);
    await new Promise((r) => queueMicrotask(() => r(undefined)));
  }
  const { events, ends } = await running;
  expect(ends).toEqual({ a: "succeeded" });
  expect(events.filter((e) => e.type === "step.retry").map((e) => (e as { delayMs: number }).delayMs)).toEqual([1000, 2000]);
});

test("timeout: an attempt past its timeout is canceled and the step fails with 124 (fake timers)", async () => {
  jest.useFakeTimers();
  const aStarted = whenStarted("a");
  const running = run([step("a", ["hang"], { timeoutMs: 60_000 }), step("b", ["ok"])]);
  await aStarted;
  jest.advanceTimersByTime(60_000);
  const { result, ends, events } = await running;
  expect(ends).toEqual({ a: "failed", b: "skipped" });
  expect(result.exitCode).toBe(124);
  const end = events.find((e) => e.type === "step.end") as Extract<RunEvent, { type: "step.end" }>;
  expect(end.result).toMatchObject({ timedOut: true, error: "timed out after 1m00s" });
});

test("cancellation: the running step is canceled, later ones are not started, when: always steps still run", async () => {
  const cancellation = new Cancellation();
  const aStarted = whenStarted("a");
  const running = run([step("a", ["hang"]), step("b", ["ok"]), step("c", ["ok"], { when: parseCondition("always") })], { cancellation });
  await aStarted;
  cancellation.cancel("SIGINT", "interrupted");
  const { ends, result, events } = await running;
  expect(ends).toEqual({ a: "canceled", b: "canceled", c: "succeeded" });
  expect(events.find((e) => e.type === "step.end" && e.path[0] === "b")).toMatchObject({ result: { error: "not started: interrupted" } });
  expect(result.failedStep).toBeUndefined();
});

test("a second Ctrl-C (force) stops when: always steps too", async () => {
  const cancellation = new Cancellation();
  const aStarted = whenStarted("a");
  const cStarted = whenStarted("c");
  const running = run([step("a", ["hang"]), step("c", ["hang"], { when: parseCondition("always") }), step("d", ["ok"], { when: parseCondition("always") })], { cancellation });
  await aStarted;
  cancellation.cancel("SIGINT", "interrupted");
  await cStarted;
  cancellation.force();
  const { ends } = await running;
  expect(ends).toEqual({ a: "canceled", c: "canceled", d: "canceled" });
});
