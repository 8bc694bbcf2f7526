import { expect, jest, test } from "bun:test";
import { createColors } from "./colors.ts";
import { SERVICE_HEARTBEAT_MS, StatusRenderer } from "./status-renderer.ts";

/** A stream without a terminal that keeps what was written. */
function recorder() {
  const lines: string[] = [];
  return { lines, stream: { isTerminal: false, colors: createColors(false), write: (data: string | Uint8Array) => void lines.push(String(data)) } };
}

test("without a terminal, a starting or waiting service gets a line every 10 s with its elapsed time and last probe; other work only after the silence", () => {
  jest.useFakeTimers();
  try {
    let now = 0;
    const err = recorder();
    const out = recorder();
    const status = new StatusRenderer({ stdout: out.stream, stderr: err.stream, live: false, heartbeatMs: 30_000, now: () => now });
    const advance = (ms: number) => {
      for (let i = 0; i < ms / 1000; i++) {
        now += 1000;
        jest.advanceTimersByTime(1000);
      }
    };
    void status.emit({ type: "service", name: "db", state: "starting" });
    advance(5000);
    void status.emit({ type: "service", name: "db", state: "waiting", detail: "last probe: exit 1, connection refused" });
    advance(5000);
    expect(err.lines).toEqual(["waiting for db (5.0s, last probe: exit 1, connection refused)\n"]);
    advance(SERVICE_HEARTBEAT_MS);
    expect(err.lines.at(-1)).toBe("waiting for db (15.0s, last probe: exit 1, connection refused)\n");
    void status.emit({ type: "service", name: "db", state: "ready", detail: "ready in 15s" });
    advance(25_000);
    // Nothing is waiting any more, and steps get only the plain heartbeat after 30 s of silence.
    expect(err.lines.length).toBe(2);
    void status.emit({ type: "step.start", path: ["migrate"], kind: "shell", detail: "", attempt: 1 });
    advance(30_000);
    // (30 s after the last line muster wrote, the heartbeat at 15 s.)
    expect(err.lines.at(-1)).toBe("still running: migrate (5.0s)\n");
    void status.emit({ type: "run.end", workflow: "w", status: "succeeded", exitCode: 0, durationMs: 1 });
  } finally {
    jest.useRealTimers();
  }
});

test("a region line keeps the step's name and elapsed time within the width; a long label loses its start, the last line its end", () => {
  const { fitStatusLine } = require("./status-renderer.ts") as typeof import("./status-renderer.ts");
  expect(fitStatusLine("⠋", "checks / lint", "lint", "2.1s", "checking formatting", 79)).toBe("⠋ checks / lint 2.1s  checking formatting");
  const long = "a-very-long-group-name-that-goes-on / and-a-nested-group-with-a-long-name / compile-the-service";
  const line = fitStatusLine("⠋", long, "compile-the-service", "12s", "x".repeat(200), 79);
  expect(line.length).toBe(79);
  expect(line.startsWith("⠋ …")).toBe(true);
  expect(line).toContain("/ compile-the-service 12s  xxx");
  expect(line.endsWith("x…")).toBe(true);
  // A name longer than the line keeps its start; the time stays.
  const name = "n".repeat(120);
  expect(fitStatusLine("⠋", name, name, "3s", "out", 40)).toBe(`⠋ ${"n".repeat(34)}… 3s`);
});
