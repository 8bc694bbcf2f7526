import { expect, test } from "bun:test";
import type { ContainerInspect, DockerEvent } from "../../docker/client.ts";
import { readFileSync } from "node:fs";
import { eventVerdict, failureReport, isProbeEnd, judge, probeLine, publishedPorts, type Readiness } from "./service.ts";

// Recorded from a real engine (see `recorded` in the file): the events of three containers
// until their removal, and inspects of a container starting, healthy, unhealthy and exited.
interface Recording {
  events: Record<"healthy" | "unhealthy" | "dies", DockerEvent[]>;
  inspect: Record<"starting" | "healthy" | "unhealthy" | "exited", ContainerInspect>;
}
const { events, inspect }: Recording = JSON.parse(readFileSync(new URL("./engine-recording.test.json", import.meta.url), "utf8"));

/** What a wait on `stream` decides: the first event with a verdict (and how many events came before it), as `#waitReady` reads the stream. */
function firstVerdict(stream: DockerEvent[]): { verdict: Readiness; at: string; probesBefore: number } | undefined {
  let probes = 0;
  for (const event of stream) {
    const verdict = eventVerdict(event);
    if (verdict) return { verdict, at: event.Action ?? "", probesBefore: probes };
    if (isProbeEnd(event)) probes++;
  }
  return undefined;
}

test("a health check that passes after a while: probes are shown while waiting, and the health_status event makes it ready", () => {
  expect(firstVerdict(events.healthy)).toEqual({ verdict: { state: "ready" }, at: "health_status: healthy", probesBefore: 2 });
});

test("a health check that never passes: the wait ends at health_status: unhealthy", () => {
  expect(firstVerdict(events.unhealthy)).toEqual({ verdict: { state: "failed", why: "became unhealthy" }, at: "health_status: unhealthy", probesBefore: 2 });
});

test("a container that exits: die carries its exit code", () => {
  expect(firstVerdict(events.dies)).toEqual({ verdict: { state: "failed", why: "exited with code 3" }, at: "die", probesBefore: 0 });
});

test("after it was ready, only a death counts: the watch ignores probes and later health events, and sees the kill", () => {
  const afterReady = events.healthy.slice(events.healthy.findIndex((e) => e.Action === "health_status: healthy") + 1);
  const verdicts = afterReady.map(eventVerdict).filter((v) => v !== undefined);
  expect(verdicts).toEqual([{ state: "failed", why: "exited with code 137" }]);
});

test("events that say nothing about readiness: create, start, the probe execs, kill, destroy", () => {
  const silent = [...events.healthy, ...events.unhealthy, ...events.dies].filter((e) => eventVerdict(e) === undefined);
  expect([...new Set(silent.map((e) => (e.Action ?? "").split(":")[0]))].sort()).toEqual(["create", "destroy", "exec_create", "exec_die", "exec_start", "kill", "start"]);
});

test("an older engine's event names its action in status", () => {
  expect(eventVerdict({ status: "health_status: healthy" })).toEqual({ state: "ready" });
  expect(eventVerdict({ status: "die" })).toEqual({ state: "failed", why: "exited with code ?" });
  expect(isProbeEnd({ status: "exec_die" })).toBe(true);
});

test("judge: an inspect of a starting container waits, a healthy one is ready, an unhealthy or exited one failed", () => {
  expect(judge(inspect.starting)).toEqual({ state: "waiting" });
  expect(judge(inspect.healthy)).toEqual({ state: "ready" });
  expect(judge(inspect.unhealthy)).toEqual({ state: "failed", why: "became unhealthy" });
  expect(judge(inspect.exited)).toEqual({ state: "failed", why: "exited with code 3" });
});

test("judge: without a health check (or with NONE, or an engine that reports no health) running is ready", () => {
  const running = { ...inspect.exited, State: { Status: "running", Running: true, ExitCode: 0 } };
  expect(judge(running)).toEqual({ state: "ready" });
  expect(judge({ ...inspect.starting, Config: { Healthcheck: { Test: ["NONE"] } } })).toEqual({ state: "ready" });
  expect(judge({ ...inspect.starting, State: { ...inspect.starting.State, Health: undefined } })).toEqual({ state: "ready" });
});

test("probeLine: the last probe's exit code and first line; nothing before the first probe", () => {
  expect(probeLine(inspect.starting)).toBe("last probe: exit 1, not yet");
  expect(probeLine(inspect.unhealthy)).toBe("last probe: exit 1, connection refused");
  expect(probeLine(inspect.exited)).toBeUndefined();
  expect(probeLine(undefined)).toBeUndefined();
  const long = { State: { Status: "running", Running: true, ExitCode: 0, Health: { Status: "starting", Log: [{ ExitCode: 2, Output: `${"x".repeat(100)}\nsecond` }] } } };
  expect(probeLine(long)).toBe(`last probe: exit 2, ${"x".repeat(80)}`);
  expect(probeLine({ State: { ...long.State, Health: { Status: "starting", Log: [{ ExitCode: 1, Output: "  \n" }] } } })).toBe("last probe: exit 1, no output");
});

test("publishedPorts: the host side of each published port, or nothing", () => {
  expect(publishedPorts(inspect.starting)).toBe(` (127.0.0.1:${inspect.starting.NetworkSettings!.Ports!["80/tcp"]![0]!.HostPort}->80/tcp)`);
  expect(publishedPorts(inspect.healthy)).toBe("");
  expect(publishedPorts({ NetworkSettings: { Ports: { "80/tcp": null } } })).toBe("");
  expect(publishedPorts(undefined)).toBe("");
});

test("failureReport: what happened, the last probe, the last log lines without trailing blanks", () => {
  expect(failureReport("db", "became unhealthy", inspect.unhealthy, ["starting", "FATAL: no config", "", " "])).toBe(
    [
      'service "db" became unhealthy',
      "  last health probe (exit 1): connection refused",
      "  last 50 log lines:",
      "    starting",
      "    FATAL: no config",
    ].join("\n"),
  );
  expect(failureReport("web", "exited with code 3", inspect.exited, [])).toBe('service "web" exited with code 3');
  expect(failureReport("web", "did not become ready within 1s", undefined, ["", ""])).toBe('service "web" did not become ready within 1s');
});
