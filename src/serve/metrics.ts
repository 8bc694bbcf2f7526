/**
 * The runner's Prometheus metrics: runs by status, queue depth, running
 * runs and a histogram of run durations.
 * @module
 */

const BUCKETS = [1, 5, 15, 30, 60, 300, 900, 1800, 3600];

/** Counters and a histogram, rendered in the Prometheus text format. */
export class Metrics {
  #runs = new Map<string, number>();
  #buckets = BUCKETS.map(() => 0);
  #sum = 0;
  #count = 0;
  #rejected = new Map<number, number>();

  /** Counts a finished run. */
  finished(status: string, seconds: number): void {
    this.#runs.set(status, (this.#runs.get(status) ?? 0) + 1);
    BUCKETS.forEach((b, i) => {
      if (seconds <= b) this.#buckets[i]!++;
    });
    this.#sum += seconds;
    this.#count++;
  }

  #suspended = 0;
  /** Counts a run that suspended at a prompt. */
  suspended(): void {
    this.#suspended++;
  }

  /** Counts a rejected request by status code. */
  rejected(status: number): void {
    this.#rejected.set(status, (this.#rejected.get(status) ?? 0) + 1);
  }

  /**
   * @example
   * ```ts
   * new Metrics().render({ queued: 0, running: 1 }); // "# HELP muster_runs_total ..."
   * ```
   */
  render(gauges: { queued: number; running: number; waiting?: number; draining: boolean }): string {
    const lines = [
      "# HELP muster_runs_total Finished runs by status.",
      "# TYPE muster_runs_total counter",
      ...["succeeded", "failed", "canceled"].map((s) => `muster_runs_total{status="${s}"} ${this.#runs.get(s) ?? 0}`),
      "# HELP muster_requests_rejected_total Rejected requests by HTTP status.",
      "# TYPE muster_requests_rejected_total counter",
      ...[...this.#rejected].map(([code, n]) => `muster_requests_rejected_total{code="${code}"} ${n}`),
      "# HELP muster_queue_depth Runs waiting to start.",
      "# TYPE muster_queue_depth gauge",
      `muster_queue_depth ${gauges.queued}`,
      "# HELP muster_runs_running Runs in progress.",
      "# TYPE muster_runs_running gauge",
      `muster_runs_running ${gauges.running}`,
      "# HELP muster_runs_waiting Runs waiting at a prompt for an answer (every runner's).",
      "# TYPE muster_runs_waiting gauge",
      `muster_runs_waiting ${gauges.waiting ?? 0}`,
      "# HELP muster_runs_suspended_total Times a run of this runner suspended at a prompt.",
      "# TYPE muster_runs_suspended_total counter",
      `muster_runs_suspended_total ${this.#suspended}`,
      "# HELP muster_draining Whether the runner is shutting down.",
      "# TYPE muster_draining gauge",
      `muster_draining ${gauges.draining ? 1 : 0}`,
      "# HELP muster_run_duration_seconds Duration of finished runs.",
      "# TYPE muster_run_duration_seconds histogram",
      ...BUCKETS.map((b, i) => `muster_run_duration_seconds_bucket{le="${b}"} ${this.#buckets[i]}`),
      `muster_run_duration_seconds_bucket{le="+Inf"} ${this.#count}`,
      `muster_run_duration_seconds_sum ${this.#sum.toFixed(3)}`,
      `muster_run_duration_seconds_count ${this.#count}`,
    ];
    return `${lines.join("\n")}\n`;
  }
}
