import { expect, test } from "bun:test";
import type { GroupPlan, GroupStep } from "./group-types.ts";
import type { PlannedStep, StepContext } from "./kind.ts";
import { Cancellation } from "../engine/cancellation.ts";
import type { RunEvent, StepResult } from "../engine/events.ts";
import { runGroupStep } from "./group-run.ts";

const source = { file: "w.yaml", line: 1, col: 1 };
const child = (name: string, needs: string[] = []): PlannedStep =>
  ({ step: { name, type: "probe", source, sourceOf: () => source, when: "success", needs }, name, needs, resolved: null }) as unknown as PlannedStep;

/** Runs a group whose children end as `outcomes` says (hang: until canceled). */
async function runGroup(mode: GroupStep["fail"]["mode"], outcomes: Record<string, "ok" | "fail" | "hang">, children = Object.keys(outcomes).map((n) => child(n))) {
  const events: RunEvent[] = [];
  const step = { name: "g", type: "parallel", maxConcurrency: 0, fail: { mode, maxFailures: 0 }, output: { mode: "grouped", order: "completion", showSummary: true, prefix: "" } } as GroupStep;
  const planned = { step, name: "g", needs: [], resolved: { children, prefixes: children.map((c) => c.name) } } as unknown as PlannedStep<GroupStep, GroupPlan>;
  const ctx = {
    path: ["g"],
    cancellation: new Cancellation(),
    emit: (e: RunEvent) => void events.push(e),
    async runChild(c: PlannedStep, path: string[], cancellation: Cancellation): Promise<StepResult> {
      const outcome = outcomes[c.name];
      if (outcome === "hang" && !cancellation.canceled) await new Promise((r) => cancellation.signal.addEventListener("abort", r, { once: true }));
      const result: StepResult = outcome === "ok"
        ? { status: "succeeded", exitCode: 0, durationMs: 1, attempts: 1, timedOut: false }
        : outcome === "fail" ? { status: "failed", exitCode: 7, durationMs: 1, attempts: 1, timedOut: false, error: "exit code 7" }
        : { status: "canceled", exitCode: 143, durationMs: 1, attempts: 1, timedOut: false };
      events.push({ type: "step.end", path, result });
      return result;
    },
  } as unknown as StepContext;
  const outcome = await runGroupStep(planned, ctx);
  return { outcome, events };
}

test("children's results come back to the caller, in definition order", async () => {
  const { outcome } = await runGroup("wait_all", { a: "ok", b: "fail", c: "ok" });
  expect(outcome.children?.map((c) => [c.name, c.result.status])).toEqual([["a", "succeeded"], ["b", "failed"], ["c", "succeeded"]]);
  expect(outcome).toMatchObject({ status: "failed", exitCode: 7, error: `1 of 3 failed; first: "b" exit 7` });
});

test("fail_fast cancels running children; best_effort succeeds despite failures", async () => {
  const fast = await runGroup("fail_fast", { a: "fail", b: "hang" });
  expect(fast.outcome.children?.map((c) => c.result.status)).toEqual(["failed", "canceled"]);
  const best = await runGroup("best_effort", { a: "fail", b: "ok" });
  expect(best.outcome.status).toBe("succeeded");
});

test("a child whose need failed is skipped and still reported with a step.end; the group announces itself", async () => {
  const { events, outcome } = await runGroup("wait_all", { a: "fail", b: "ok" }, [child("a"), child("b", ["a"])]);
  expect(events[0]).toMatchObject({ type: "group.start", path: ["g"], children: [{ name: "a", index: 0 }, { name: "b", index: 1 }] });
  expect(events.find((e) => e.type === "step.end" && e.path[1] === "b")).toMatchObject({ result: { status: "skipped", error: "needs a" } });
  expect(events.at(-1)).toMatchObject({ type: "group.end", counts: { succeeded: 0, failed: 1, skipped: 1, canceled: 0 } });
  expect(outcome.children?.[1]?.result.status).toBe("skipped");
});
