import { expect, test } from "bun:test";
import { Metrics } from "./metrics.ts";

test("counters, gauges and the duration histogram", () => {
  const m = new Metrics();
  m.finished("succeeded", 2);
  m.finished("failed", 100);
  m.rejected(401);
  const text = m.render({ queued: 3, running: 1, draining: false });
  expect(text).toContain('muster_runs_total{status="succeeded"} 1');
  expect(text).toContain('muster_runs_total{status="failed"} 1');
  expect(text).toContain('muster_requests_rejected_total{code="401"} 1');
  expect(text).toContain("muster_queue_depth 3");
  expect(text).toContain('muster_run_duration_seconds_bucket{le="5"} 1');
  expect(text).toContain('muster_run_duration_seconds_bucket{le="300"} 2');
  expect(text).toContain("muster_run_duration_seconds_count 2");
});
