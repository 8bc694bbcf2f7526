/**
 * The validated, typed model of a workflow file. Produced by `parseWorkflowFile`;
 * everything downstream (planning, running, describing) reads only this.
 * @module
 */

/** Where something was written: 1-based line and column. */
export interface SourceRef {
  file: string;
  line: number;
  col: number;
}

/** Step types a workflow may use. */
export const STEP_TYPES = [
  "atmos", "shell", "sleep", "parallel", "matrix", "container", "wait", "wait-all", "cancel",
] as const;
export type StepType = (typeof STEP_TYPES)[number];

/** Step types allowed inside `parallel` and `matrix` (non-interactive only). */
export const CHILD_STEP_TYPES = ["shell", "atmos", "sleep"] as const;

export type When = "success" | "failure" | "always";

/** `retry:` as written, durations in milliseconds. */
export interface RetryPolicy {
  maxAttempts: number;
  backoff: "constant" | "linear" | "exponential";
  initialDelayMs: number;
  maxDelayMs?: number;
  multiplier: number;
  jitter: number;
  maxElapsedMs?: number;
}

interface StepBase {
  /** The step's name; unnamed top-level steps are `step1`, `step2`, ... by position. */
  name: string;
  source: SourceRef;
  when: When;
  stack?: string;
  env: Record<string, string>;
  workingDirectory?: string;
  timeoutMs?: number;
  retry?: RetryPolicy;
  /** Sibling names this step waits for (children of control steps only). */
  needs: string[];
}

export interface CommandStep extends StepBase {
  type: "shell" | "atmos";
  command: string;
}

export interface SleepStep extends StepBase {
  type: "sleep";
  durationMs: number;
}

/** Steps that may run as children of `parallel`/`matrix`. */
export type LeafStep = CommandStep | SleepStep;

export type FailMode = "wait_all" | "fail_fast" | "best_effort";
export type OutputMode = "grouped" | "prefixed" | "none";
export type OutputOrder = "completion" | "definition";

export interface OutputSettings {
  mode: OutputMode;
  order: OutputOrder;
  showSummary: boolean;
  /** A template; `{{ .step.name }}` by default. */
  prefix: string;
}

export type MatrixValue = string | number | boolean;
export type MatrixCombination = Record<string, MatrixValue>;

export interface MatrixSpec {
  /** Axes in the order they were written. */
  axes: Array<{ name: string; values: MatrixValue[] }>;
  include: MatrixCombination[];
  exclude: MatrixCombination[];
}

export interface ControlStep extends StepBase {
  type: "parallel" | "matrix";
  maxConcurrency: number;
  fail: { mode: FailMode; maxFailures: number };
  output: OutputSettings;
  steps: LeafStep[];
  matrix?: MatrixSpec;
}

export interface PortMapping {
  host?: number;
  container: number;
  protocol: "tcp" | "udp";
  hostIp: string;
}

export interface VolumeMount {
  source: string;
  target: string;
  readOnly: boolean;
}

export interface HealthcheckSpec {
  test: string[];
  intervalMs?: number;
  timeoutMs?: number;
  retries?: number;
  startPeriodMs?: number;
  startIntervalMs?: number;
}

export interface ContainerSpec {
  image: string;
  command?: string[];
  entrypoint?: string[];
  env: Record<string, string>;
  ports: PortMapping[];
  volumes: VolumeMount[];
  workdir?: string;
  user?: string;
  labels: Record<string, string>;
  pull: "missing" | "always" | "never";
  healthcheck?: HealthcheckSpec;
  stopTimeoutMs: number;
  readyTimeoutMs?: number;
}

export interface ContainerStep extends StepBase {
  type: "container";
  action: "run";
  background: boolean;
  container: ContainerSpec;
}

export interface ServiceStep extends StepBase {
  type: "wait" | "cancel";
  targets: string[];
}

export interface WaitAllStep extends StepBase {
  type: "wait-all";
}

export type Step = CommandStep | SleepStep | ControlStep | ContainerStep | ServiceStep | WaitAllStep;

export interface Workflow {
  name: string;
  description?: string;
  stack?: string;
  env: Record<string, string>;
  workingDirectory?: string;
  steps: Step[];
  source: SourceRef;
}

export interface WorkflowFile {
  /** The path as given/found. */
  file: string;
  name?: string;
  description?: string;
  workflows: Map<string, Workflow>;
}
