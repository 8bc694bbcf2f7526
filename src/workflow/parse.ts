/**
 * Parsing and validating a workflow file into the typed model in one pass
 * that reports every problem, each with its position.
 * @module
 */
import * as v from "valibot";
import { DiagnosticCollector, describeValue, type Diagnostic } from "./diagnostics.ts";
import {
  CHILD_SCHEMAS, containerWith, manifestSchema, matrixAxis, matrixCombinations, outputMode, outputSettings, STEP_SCHEMAS, workflowSchema,
  type Schema,
} from "./schema.ts";
import { splitShellWords } from "./shell-words.ts";
import {
  CHILD_STEP_TYPES, STEP_TYPES,
  type ContainerSpec, type ControlStep, type LeafStep, type MatrixSpec, type RetryPolicy, type SleepStep, type SourceRef, type Step,
  type StepType, type Workflow, type WorkflowFile,
} from "./types.ts";
import { YamlSource } from "./yaml-source.ts";

/** The result of {@linkcode parseWorkflowFile}: a model when there were no errors. */
export interface ParseResult {
  workflowFile?: WorkflowFile;
  diagnostics: Diagnostic[];
  /** The file's parsed YAML value (for the parse cache). */
  value?: unknown;
}

type Path = Array<string | number>;
type Raw = Record<string, unknown>;
/** The fields every step shares. */
type StepBaseFields = Omit<SleepStep, "type" | "durationMs">;

const isMapping = (value: unknown): value is Raw => value !== null && typeof value === "object" && !Array.isArray(value);

/** @internal The per-file walker. */
class WorkflowParser {
  #file: string;
  #source: YamlSource;
  #out: DiagnosticCollector;

  constructor(file: string, source: YamlSource) {
    this.#file = file;
    this.#source = source;
    this.#out = new DiagnosticCollector(file, source);
  }

  get diagnostics(): Diagnostic[] {
    return this.#out.diagnostics;
  }

  /** A position computed on first use: a valid file never needs one. */
  #ref(path: Path): SourceRef {
    const source = this.#source;
    let position: { line: number; col: number } | undefined;
    const at = () => (position ??= source.position(path));
    return {
      file: this.#file,
      get line() {
        return at().line;
      },
      get col() {
        return at().col;
      },
    };
  }

  #check<S extends Schema>(schema: S, value: unknown, path: Path, where: string, fieldPrefix: Path = []): v.InferOutput<S> | undefined {
    const result = v.safeParse(schema, value, { abortEarly: false });
    if (result.success) return result.output as v.InferOutput<S>;
    this.#out.reportIssues(schema, result.issues, path, where, fieldPrefix);
    return undefined;
  }

  parse(): WorkflowFile | undefined {
    const value = this.#source.value;
    if (!isMapping(value) || !("workflows" in value)) {
      const text = isMapping(value) || value === undefined || value === null
        ? `not a workflow file: no "workflows:" key (expected a map with a "workflows:" key)`
        : `not a workflow file: the document is ${describeValue(value)} (expected a map with a "workflows:" key)`;
      this.#out.report([], "", text);
      return undefined;
    }
    const manifest = this.#check(manifestSchema, value, [], "");
    if (!manifest) return undefined;
    const workflows = new Map<string, Workflow>();
    for (const [name, raw] of Object.entries(manifest.workflows)) {
      const workflow = this.#workflow(name, raw, ["workflows", name]);
      if (workflow) workflows.set(name, workflow);
    }
    if (Object.keys(manifest.workflows).length === 0) {
      this.#out.report(["workflows"], "", `"workflows" is empty (expected at least one workflow)`);
    }
    return { file: this.#file, name: manifest.name, description: manifest.description, workflows };
  }

  #workflow(name: string, raw: unknown, path: Path): Workflow | undefined {
    const where = `workflow "${name}"`;
    const parsed = this.#check(workflowSchema, raw, path, where);
    if (!parsed) return undefined;
    if (parsed.steps.length === 0) {
      this.#out.report([...path, "steps"], where, `"steps" is empty (expected at least one step)`);
    }
    const steps: Step[] = [];
    let ok = true;
    parsed.steps.forEach((rawStep, index) => {
      const step = this.#step(rawStep, [...path, "steps", index], where, index);
      if (step) steps.push(step);
      else ok = false;
    });
    // Background services may reuse a name after cancel; #checkServices judges those.
    this.#checkUniqueNames(steps.filter((s) => !(s.type === "container" && s.background)), where, "step");
    this.#checkServices(steps, path, where);
    if (!ok) return undefined;
    return {
      name,
      description: parsed.description,
      stack: parsed.stack,
      env: parsed.env ?? {},
      workingDirectory: parsed.working_directory,
      steps,
      source: this.#ref(path),
    };
  }

  #stepType(raw: Raw, path: Path, where: string, allowed: readonly StepType[], context: string): StepType | undefined {
    const type = raw.type ?? "atmos";
    if (typeof type !== "string" || !(STEP_TYPES as readonly string[]).includes(type)) {
      this.#out.report([...path, "type"], where, `unknown step type ${describeValue(type)} (expected one of: ${STEP_TYPES.join(", ")})`);
      return undefined;
    }
    if (!allowed.includes(type as StepType)) {
      this.#out.report(
        [...path, "type"],
        where,
        `step type "${type}" is not allowed ${context} (expected one of: ${allowed.join(", ")}; concurrent children must be non-interactive)`,
      );
      return undefined;
    }
    return type as StepType;
  }

  #step(raw: unknown, path: Path, parentWhere: string, index: number): Step | undefined {
    const fallbackName = `step${index + 1}`;
    const name = isMapping(raw) && typeof raw.name === "string" && raw.name !== "" ? raw.name : fallbackName;
    const where = `${parentWhere}, step "${name}"`;
    if (!isMapping(raw)) {
      this.#out.report(path, where, `got ${describeValue(raw)} (expected a map with at least "type" or "command")`);
      return undefined;
    }
    const type = this.#stepType(raw, path, where, STEP_TYPES, "here");
    if (!type) return undefined;
    if ("needs" in raw) {
      this.#out.report([...path, "needs"], where, `"needs" is only allowed on children of a parallel or matrix step (expected top-level steps to run in order)`, "key");
      return undefined;
    }
    if ("background" in raw && type !== "container") {
      this.#out.report([...path, "background"], where, `"background" is only allowed on container steps (expected type: container)`, "key");
      return undefined;
    }
    if (type === "wait-all" && "for" in raw) {
      this.#out.report([...path, "for"], where, `wait-all takes no targets: it waits for every service started so far (expected no "for"; use type: wait to name services)`, "key");
      return undefined;
    }
    const parsed = this.#check(STEP_SCHEMAS[type], raw, path, where) as Raw | undefined;
    if (!parsed) return undefined;
    const base = this.#base(parsed, name, path);
    switch (type) {
      case "atmos":
      case "shell":
        return { ...base, type, command: parsed.command as string };
      case "sleep":
        return { ...base, type, durationMs: (parsed.duration as number | undefined) ?? 1000 };
      case "parallel":
      case "matrix":
        return this.#control(type, parsed, base, path, where);
      case "container":
        return this.#container(parsed, base, path, where);
      case "wait":
      case "cancel":
        return { ...base, type, targets: parsed.for as string[] };
      case "wait-all":
        return { ...base, type };
    }
  }

  #base(parsed: Raw, name: string, path: Path): StepBaseFields {
    return {
      name,
      source: this.#ref(path),
      when: (parsed.when as "success" | "failure" | "always" | undefined) ?? "success",
      stack: parsed.stack as string | undefined,
      env: (parsed.env as Record<string, string> | undefined) ?? {},
      workingDirectory: parsed.working_directory as string | undefined,
      timeoutMs: parsed.timeout as number | undefined,
      retry: retryPolicy(parsed.retry as Raw | undefined),
      needs: (parsed.needs as string[] | undefined) ?? [],
    };
  }

  #control(type: "parallel" | "matrix", parsed: Raw, base: StepBaseFields, path: Path, where: string): ControlStep | undefined {
    const rawChildren = parsed.steps as unknown[];
    let ok = true;
    if (rawChildren.length === 0) {
      this.#out.report([...path, "steps"], where, `"steps" is empty (expected at least one child step)`);
      ok = false;
    }
    const children: LeafStep[] = [];
    rawChildren.forEach((raw, index) => {
      const child = this.#child(raw, [...path, "steps", index], where, index);
      if (child) children.push(child);
      else ok = false;
    });
    if (ok) ok = this.#checkUniqueNames(children, where, "child step") && this.#checkNeeds(children, path, where);
    let matrix: MatrixSpec | undefined;
    if (type === "matrix") {
      matrix = this.#matrix(parsed.matrix as Raw, [...path, "matrix"], where);
      if (!matrix) ok = false;
    }
    if (!ok) return undefined;
    const fail = (parsed.fail as Raw | undefined) ?? {};
    let output: Raw = {};
    if (typeof parsed.output === "string") {
      const mode = this.#check(outputMode, parsed.output, [...path, "output"], where, ["output"]);
      if (!mode) return undefined;
      output = { mode };
    } else if (parsed.output !== undefined) {
      const settings = this.#check(outputSettings, parsed.output, [...path, "output"], where, ["output"]);
      if (!settings) return undefined;
      output = settings;
    }
    return {
      ...base,
      type,
      maxConcurrency: (parsed.max_concurrency as number | undefined) ?? 0,
      fail: {
        mode: (fail.mode as ControlStep["fail"]["mode"] | undefined) ?? "wait_all",
        maxFailures: (fail.max_failures as number | undefined) ?? 0,
      },
      output: {
        mode: (output.mode as ControlStep["output"]["mode"] | undefined) ?? "grouped",
        order: (output.order as ControlStep["output"]["order"] | undefined) ?? "completion",
        showSummary: (output.show_summary as boolean | undefined) ?? true,
        prefix: (output.prefix as string | undefined) ?? "{{ .step.name }}",
      },
      steps: children,
      matrix,
    };
  }

  #child(raw: unknown, path: Path, parentWhere: string, index: number): LeafStep | undefined {
    const name = isMapping(raw) && typeof raw.name === "string" && raw.name !== "" ? raw.name : `step${index + 1}`;
    const where = `${parentWhere}, child "${name}"`;
    if (!isMapping(raw)) {
      this.#out.report(path, where, `got ${describeValue(raw)} (expected a map with at least "type" and "command")`);
      return undefined;
    }
    for (const key of ["tty", "interactive", "steps"]) {
      if (key in raw) {
        const rule = key === "steps"
          ? `a child of a parallel or matrix step cannot declare nested "steps" (expected a shell, atmos or sleep step; nest groups by sequencing them at the top level)`
          : `a child of a parallel or matrix step cannot set "${key}" (expected a non-interactive step: concurrent children get /dev/null as stdin and never own the terminal)`;
        this.#out.report([...path, key], where, rule, "key");
        return undefined;
      }
    }
    if ("when" in raw) {
      this.#out.report([...path, "when"], where, `"when" is not allowed on a child of a parallel or matrix step (expected "needs" to order children)`, "key");
      return undefined;
    }
    const type = this.#stepType(raw, path, where, CHILD_STEP_TYPES, "inside a parallel or matrix step");
    if (!type) return undefined;
    const parsed = this.#check(CHILD_SCHEMAS[type as "shell"], raw, path, where) as Raw | undefined;
    if (!parsed) return undefined;
    const base = this.#base(parsed, name, path);
    return type === "sleep"
      ? { ...base, type: "sleep", durationMs: (parsed.duration as number | undefined) ?? 1000 }
      : { ...base, type: type as "shell" | "atmos", command: parsed.command as string };
  }

  #matrix(raw: Raw, path: Path, where: string): MatrixSpec | undefined {
    let ok = true;
    const spec: MatrixSpec = { axes: [], include: [], exclude: [] };
    for (const [axis, values] of Object.entries(raw)) {
      if (axis === "include" || axis === "exclude") {
        const combos = this.#check(matrixCombinations, values, [...path, axis], where, ["matrix", axis]);
        if (combos) spec[axis] = combos;
        else ok = false;
        continue;
      }
      if (axis.trim() === "") {
        this.#out.report([...path, axis], where, `a matrix axis has an empty name (expected a name such as "os")`, "key");
        ok = false;
        continue;
      }
      if (Array.isArray(values) && values.length === 0) {
        this.#out.report([...path, axis], where, `matrix axis "${axis}" is empty (expected at least one value)`);
        ok = false;
        continue;
      }
      const parsed = this.#check(matrixAxis, values, [...path, axis], where, ["matrix", axis]);
      if (parsed) spec.axes.push({ name: axis, values: parsed });
      else ok = false;
    }
    if (ok && spec.axes.length === 0 && spec.include.length === 0) {
      this.#out.report(path, where, `the matrix has no axes (expected at least one axis such as "os: [linux, darwin]")`);
      ok = false;
    }
    return ok ? spec : undefined;
  }

  #container(parsed: Raw, base: StepBaseFields, path: Path, where: string): Step | undefined {
    const action = (parsed.action as string | undefined) ?? "run";
    if (action !== "run") {
      this.#out.report([...path, "action"], where, `container action "${action}" is not supported (expected: run)`);
      return undefined;
    }
    const spec = this.#check(containerWith, parsed.with, [...path, "with"], where, ["with"]);
    if (!spec) return undefined;
    const words = (value: string | string[] | undefined, field: string): string[] | undefined => {
      if (value === undefined || Array.isArray(value)) return value;
      try {
        return splitShellWords(value);
      } catch (error) {
        this.#out.report([...path, "with", field], where, `field "with.${field}": ${(error as Error).message} (expected balanced quotes)`);
        return undefined;
      }
    };
    let healthcheck: ContainerSpec["healthcheck"];
    if (spec.healthcheck) {
      const test = typeof spec.healthcheck.test === "string" ? ["CMD-SHELL", spec.healthcheck.test] : spec.healthcheck.test;
      if (!["CMD", "CMD-SHELL", "NONE"].includes(test[0]!)) {
        this.#out.report([...path, "with", "healthcheck", "test"], where, `field "with.healthcheck.test": the list starts with ${describeValue(test[0])} (expected CMD, CMD-SHELL or NONE first)`);
        return undefined;
      }
      healthcheck = {
        test,
        intervalMs: spec.healthcheck.interval,
        timeoutMs: spec.healthcheck.timeout,
        retries: spec.healthcheck.retries,
        startPeriodMs: spec.healthcheck.start_period,
        startIntervalMs: spec.healthcheck.start_interval,
      };
    }
    const container: ContainerSpec = {
      image: spec.image,
      command: words(spec.command, "command"),
      entrypoint: words(spec.entrypoint, "entrypoint"),
      env: spec.env ?? {},
      ports: (spec.ports ?? []).map((p) => ({ host: p.host, container: p.container, protocol: p.protocol ?? "tcp", hostIp: p.host_ip ?? "127.0.0.1" })),
      volumes: (spec.volumes ?? []).map((m) => ({ source: m.source, target: m.target, readOnly: m.read_only ?? false })),
      workdir: spec.workdir,
      user: spec.user,
      labels: spec.labels ?? {},
      pull: spec.pull ?? "missing",
      healthcheck,
      stopTimeoutMs: spec.stop_timeout ?? 5000,
      readyTimeoutMs: spec.ready_timeout,
    };
    return { ...base, type: "container", action: "run", background: (parsed.background as boolean | undefined) ?? false, container };
  }

  #checkUniqueNames(steps: ReadonlyArray<{ name: string; source: SourceRef }>, where: string, noun: string): boolean {
    const seen = new Map<string, SourceRef>();
    let ok = true;
    for (const step of steps) {
      const first = seen.get(step.name);
      if (first) {
        this.diagnostics.push({
          ...step.source,
          message: `${where}: duplicate ${noun} name "${step.name}", first used at line ${first.line} (expected unique names)`,
        });
        ok = false;
      } else seen.set(step.name, step.source);
    }
    return ok;
  }

  #checkNeeds(children: LeafStep[], path: Path, where: string): boolean {
    const names = new Set(children.map((c) => c.name));
    let ok = true;
    children.forEach((child, index) => {
      child.needs.forEach((need, n) => {
        if (!names.has(need)) {
          this.#out.report([...path, "steps", index, "needs", n], `${where}, child "${child.name}"`, `"needs" names unknown sibling "${need}" (expected one of: ${[...names].filter((x) => x !== child.name).join(", ") || "no other children"})`);
          ok = false;
        } else if (need === child.name) {
          this.#out.report([...path, "steps", index, "needs", n], `${where}, child "${child.name}"`, `a step cannot need itself (expected the names of other children)`);
          ok = false;
        }
      });
    });
    if (!ok) return false;
    const cycle = findCycle(children);
    if (cycle) {
      const index = children.findIndex((c) => c.name === cycle[0]);
      this.#out.report([...path, "steps", index, "needs"], where, `"needs" forms a cycle: ${cycle.join(" -> ")} (expected an order without cycles)`);
      return false;
    }
    return true;
  }

  #checkServices(steps: Step[], path: Path, where: string): void {
    const live = new Map<string, SourceRef>();
    steps.forEach((step, index) => {
      if (step.type === "container" && step.background) {
        const running = live.get(step.name);
        if (running) {
          this.diagnostics.push({ ...step.source, message: `${where}, step "${step.name}": background service "${step.name}" is already running (started at line ${running.line}) (expected a unique name, or a cancel step before reusing it)` });
        }
        live.set(step.name, step.source);
      } else if (step.type === "wait" || step.type === "cancel") {
        step.targets.forEach((target, n) => {
          if (!live.has(target)) {
            const known = [...live.keys()];
            this.#out.report(
              [...path, "steps", index, "for", n],
              `${where}, step "${step.name}"`,
              `${step.type} names "${target}", which is not a background service running at this point (expected ${known.length > 0 ? `one of: ${known.join(", ")}` : "an earlier container step with background: true"})`,
            );
          }
        });
        if (step.type === "cancel") for (const target of step.targets) live.delete(target);
      }
    });
  }
}

function retryPolicy(raw: Raw | undefined): RetryPolicy | undefined {
  if (!raw) return undefined;
  return {
    maxAttempts: (raw.max_attempts as number | undefined) ?? 1,
    backoff: (raw.backoff_strategy as RetryPolicy["backoff"] | undefined) ?? "constant",
    initialDelayMs: (raw.initial_delay as number | undefined) ?? 1000,
    maxDelayMs: raw.max_delay as number | undefined,
    multiplier: (raw.multiplier as number | undefined) ?? 2,
    jitter: (raw.random_jitter as number | undefined) ?? 0,
    maxElapsedMs: raw.max_elapsed_time as number | undefined,
  };
}

/** Finds a cycle in `needs`, returned as names with the first repeated at the end. @internal */
export function findCycle(steps: ReadonlyArray<{ name: string; needs: string[] }>): string[] | undefined {
  const byName = new Map(steps.map((s) => [s.name, s]));
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === "done") return undefined;
    if (state.get(name) === "visiting") return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, "visiting");
    stack.push(name);
    for (const need of byName.get(name)?.needs ?? []) {
      const cycle = visit(need);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(name, "done");
    return undefined;
  };
  for (const step of steps) {
    const cycle = visit(step.name);
    if (cycle) return cycle;
  }
  return undefined;
}

/**
 * Parses and validates the text of a workflow file. `knownValue` is what
 * this exact text parsed to before (from the parse cache); it skips the YAML
 * parser unless an error needs a position.
 *
 * @example
 * ```ts
 * const { workflowFile, diagnostics } = parseWorkflowFile("w.yaml", "workflows:\n  hi:\n    steps:\n      - type: shell\n        command: echo hi\n");
 * workflowFile?.workflows.get("hi")?.steps[0]?.name; // "step1"
 * ```
 */
export function parseWorkflowFile(file: string, text: string, knownValue?: unknown): ParseResult {
  const source = new YamlSource(text, knownValue);
  if (source.syntaxErrors.length > 0) {
    return {
      diagnostics: source.syntaxErrors.map((e) => ({ file, line: e.line, col: e.col, message: `invalid YAML: ${e.message}` })),
    };
  }
  const parser = new WorkflowParser(file, source);
  const workflowFile = parser.parse();
  const diagnostics = parser.diagnostics.sort((a, b) => a.line - b.line || a.col - b.col);
  return diagnostics.length > 0 ? { diagnostics } : { workflowFile, diagnostics, value: source.value };
}
