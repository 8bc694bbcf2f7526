import { describe, expect, test } from "bun:test";
import { schedule, type Task, type TaskStatus } from "./scheduler.ts";

type Outcome = "succeeded" | "failed";
const tasks = (spec: Record<string, string[]>): Task[] => Object.entries(spec).map(([name, needs]) => ({ name, needs }));

async function runWith(
  list: Task[],
  outcomes: Record<string, Outcome>,
  options: { limit?: number; threshold?: number; policy?: "stop-starting" | "cancel-running"; delay?: Record<string, number> } = {},
) {
  const started: string[] = [];
  let running = 0;
  let peak = 0;
  const statuses = await schedule(list, {
    limit: options.limit ?? Infinity,
    failureThreshold: options.threshold ?? Infinity,
    policy: options.policy ?? "stop-starting",
    run: async (task, signal) => {
      started.push(task.name);
      running++;
      peak = Math.max(peak, running);
      const ms = options.delay?.[task.name] ?? 1;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        signal.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
      });
      running--;
      if (signal.aborted) return "canceled";
      return outcomes[task.name] ?? "succeeded";
    },
  });
  return { statuses: Object.fromEntries(statuses) as Record<string, TaskStatus>, started, peak };
}

describe("schedule", () => {
  test("needs order tasks", async () => {
    const { started, statuses } = await runWith(tasks({ lint: [], test: [], summarize: ["lint", "test"] }), {}, { delay: { lint: 20, test: 5 } });
    expect(started.at(-1)).toBe("summarize");
    expect(Object.values(statuses).every((s) => s === "succeeded")).toBe(true);
  });

  test("the limit bounds concurrency", async () => {
    const list = Array.from({ length: 30 }, (_, i) => ({ name: `t${i}`, needs: [] }));
    expect((await runWith(list, {}, { limit: 4, delay: Object.fromEntries(list.map((t) => [t.name, 3])) })).peak).toBe(4);
  });

  test("dependents of a failure are skipped transitively; independent work continues", async () => {
    const { statuses } = await runWith(tasks({ a: [], b: ["a"], c: ["b"], d: [] }), { a: "failed" });
    expect(statuses).toEqual({ a: "failed", b: "skipped", c: "skipped", d: "succeeded" });
  });

  test("cancel-running at the threshold cancels running and pending tasks", async () => {
    const { statuses } = await runWith(
      tasks({ fails: [], slow: [], later: [], after: ["slow"] }),
      { fails: "failed" },
      { limit: 2, threshold: 1, policy: "cancel-running", delay: { fails: 5, slow: 10_000 } },
    );
    expect(statuses).toEqual({ fails: "failed", slow: "canceled", later: "canceled", after: "canceled" });
  });

  test("stop-starting lets running tasks finish", async () => {
    const { statuses } = await runWith(
      tasks({ fails: [], slow: [], later: [] }),
      { fails: "failed" },
      { limit: 2, threshold: 1, policy: "stop-starting", delay: { fails: 5, slow: 50 } },
    );
    expect(statuses).toEqual({ fails: "failed", slow: "succeeded", later: "canceled" });
  });

  test("an outside abort cancels everything", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const statuses = await schedule(tasks({ a: [], b: ["a"] }), {
      limit: Infinity, failureThreshold: Infinity, policy: "stop-starting", signal: controller.signal,
      run: (_, signal) => new Promise((resolve) => signal.addEventListener("abort", () => resolve("canceled"))),
    });
    expect(Object.fromEntries(statuses)).toEqual({ a: "canceled", b: "canceled" });
  });

  test("10,000 children, a chain and a fan-in, all run and the fan-in runs last", async () => {
    const list: Task[] = Array.from({ length: 10_000 }, (_, i) => ({ name: `t${i}`, needs: i > 0 && i % 2 === 0 ? [`t${i - 1}`] : [] }));
    list.push({ name: "all", needs: list.map((t) => t.name) });
    let ran = 0;
    const statuses = await schedule(list, { limit: 8, failureThreshold: Infinity, policy: "stop-starting", run: async () => (ran++, "succeeded") });
    expect(ran).toBe(10_001);
    expect(statuses.get("all")).toBe("succeeded");
  });
});

describe("errors and listeners", () => {
  test("a task that throws fails with the error's message as its reason (never swallowed)", async () => {
    const reasons: Record<string, string | undefined> = {};
    const statuses = await schedule(tasks({ a: [], b: ["a"] }), {
      limit: Infinity, failureThreshold: Infinity, policy: "stop-starting",
      run: async () => { throw new Error("cannot open the log"); },
      onSettled: (task, _status, reason) => void (reasons[task.name] = reason),
    });
    expect(Object.fromEntries(statuses)).toEqual({ a: "failed", b: "skipped" });
    expect(reasons).toEqual({ a: "cannot open the log", b: "needs a" });
  });

  test("the listener on the outside signal is removed when the group is done", async () => {
    const controller = new AbortController();
    let added = 0;
    let removed = 0;
    const signal = controller.signal;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((...args: Parameters<typeof add>) => { added++; return add(...args); }) as typeof add;
    signal.removeEventListener = ((...args: Parameters<typeof remove>) => { removed++; return remove(...args); }) as typeof remove;
    await schedule(tasks({ a: [] }), { limit: 1, failureThreshold: Infinity, policy: "stop-starting", signal, run: async () => "succeeded" });
    expect({ added, removed }).toEqual({ added: 1, removed: 1 });
  });
});
