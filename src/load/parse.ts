/**
 * Parsing and validating a workflow file into the typed model in one pass
 * that reports every problem, each with its position.
 * @module
 */
import * as v from "valibot";
import { basename } from "node:path";
import { ATMOS_ONLY, CHILD_STEP_TYPES, kindOf, kindOfStep, STEP_TYPES } from "../steps/index.ts";
import type { AnyKind, BuildContext, FieldPath, Placement } from "../steps/kind.ts";
import { stepFields, stepSchema } from "../steps/schema.ts";
import { unitDependency } from "../steps/dependency.ts";
import { type AtmosStep, inlineStackFlag } from "../steps/atmos.ts";
import { sandboxSettings } from "../steps/container/fields.ts";
import { checkConditionReads, checkTemplates } from "./template-check.ts";
import { celParts, compileCelPart, type Condition, ConditionError, loadedCel, parseCondition } from "../workflow/condition.ts";
import { DiagnosticCollector, describeValue, formatFieldPath, suggest, type Diagnostic, type Warning } from "../workflow/diagnostics.ts";
import { replaceAt, scalarsWhereStrings } from "./scalar-strings.ts";
import { manifestSchema, workflowSchema, type Schema } from "../workflow/schema.ts";
import type { FreshnessDeclarations, SourceRef, StepBase, StepPresentation, Workflow, WorkflowFile } from "../workflow/types.ts";
import { mergeShow, OUTPUT_KINDS } from "../steps/output-mode.ts";
import { attachesTerminal } from "../steps/behaviours.ts";
import { YamlSource } from "../workflow/yaml-source.ts";
import { withYamlHints } from "../workflow/yaml-hints.ts";

/** The result of {@linkcode parseWorkflowFile}: a model when there were no errors. */
export interface ParseResult {
  workflowFile?: WorkflowFile;
  diagnostics: Diagnostic[];
  /** What is accepted (as Atmos accepts it) but probably not meant: printed, never refused. */
  warnings?: Warning[];
  /** The YAML is fine but has no `workflows:` key: some other tool's file (skipped when searching, as Atmos does). */
  foreign?: boolean;
  /** The workflow names the file declares, even when it is invalid (to tell whose file it is). */
  declares?: string[];
  /** Each invalid workflow's own problems; the valid ones are in `workflowFile` and may run. */
  broken?: Map<string, Diagnostic[]>;
  /** Problems of the file itself (YAML, the top-level keys): then no workflow of it may run. */
  fileLevel?: boolean;
  /** The file's parsed YAML value (for the parse cache). */
  value?: unknown;
  /** A condition is CEL and the CEL library was not loaded: load it (`loadCel()`) and parse again, for its compile errors. */
  needsCel?: boolean;
}

type Path = Array<string | number>;
type Raw = Record<string, unknown>;

const isMapping = (value: unknown): value is Raw => value !== null && typeof value === "object" && !Array.isArray(value);

/** @internal The per-file walker. */
class WorkflowParser {
  #file: string;
  /** Set while muster builds steps of its own (the dependencies group), which may use internal types. */
  #building = false;
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

  get warnings(): Warning[] {
    return this.#out.warnings;
  }

  /** Problems by the workflow they belong to. */
  readonly broken = new Map<string, Diagnostic[]>();

  /** A position computed on first use: a valid file never needs one. */
  #ref(path: Path, offset?: number): SourceRef {
    const source = this.#source;
    let position: { line: number; col: number } | undefined;
    const at = () => (position ??= offset === undefined ? source.position(path) : source.positionInValue(path, offset));
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
    let result = v.safeParse(schema, value, { abortEarly: false });
    // Only a refused value can hold a number or boolean where a string goes: a valid file pays nothing for this.
    if (!result.success) {
      const asText = this.#scalarsAsText(schema, value, path, where, fieldPrefix);
      if (asText !== value) result = v.safeParse(schema, (value = asText), { abortEarly: false });
    }
    if (result.success) return result.output as v.InferOutput<S>;
    this.#out.reportIssues(schema, result.issues, path, where, fieldPrefix, value);
    return undefined;
  }

  /**
   * A number or boolean where `schema` takes only a string becomes the text
   * it is written as, as Atmos' decoder reads it, with a warning; unless that
   * text is refused too (`duration: 10`), whose error then names the number.
   */
  #scalarsAsText(schema: Schema, value: unknown, path: Path, where: string, fieldPrefix: Path): unknown {
    const found = scalarsWhereStrings(schema, value);
    if (found.length === 0) return value;
    const valueAt = (keys: Path) => keys.reduce<unknown>((at, k) => (at as Record<string | number, unknown>)[k], value);
    const texts = found.map((keys) => this.#source.sourceText([...path, ...keys]) ?? String(valueAt(keys)));
    let coerced = value;
    found.forEach((keys, i) => (coerced = replaceAt(coerced, keys, texts[i]!)));
    const issues = v.safeParse(schema, coerced, { abortEarly: false }).issues ?? [];
    const refused = new Set(issues.map((issue) => JSON.stringify((issue.path ?? []).map((item) => item.key))));
    let result = value;
    found.forEach((keys, i) => {
      if (refused.has(JSON.stringify(keys))) return;
      result = replaceAt(result, keys, texts[i]!);
      const field = formatFieldPath([...fieldPrefix, ...keys]);
      this.#out.warn([...path, ...keys], where, `${field ? `field "${field}": ` : ""}got ${describeValue(valueAt(keys))}, taken as the string ${JSON.stringify(texts[i])} as Atmos does (quote it to say so: "${texts[i]}")`);
    });
    return result;
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
    // Atmos reads only these keys and ignores the rest (a stack manifest may hold workflows too): ignored, with a warning.
    const known = new Set(["name", "description", "workflows"]);
    const ignored = Object.keys(value).filter((key) => !known.has(key));
    for (const key of ignored) {
      const hint = suggest(key, [...known]);
      this.#out.warn([key], "", `field "${key}" is not part of a workflow file and is ignored, as Atmos ignores it${hint ? `; did you mean "${hint}"?` : ""} (expected name, description, workflows)`, "key");
    }
    const manifest = this.#check(manifestSchema, ignored.length > 0 ? Object.fromEntries(Object.entries(value).filter(([key]) => known.has(key))) : value, [], "");
    if (!manifest) return undefined;
    const workflows = new Map<string, Workflow>();
    for (const [name, raw] of Object.entries(manifest.workflows)) {
      // Each workflow is judged on its own: a broken sibling does not stop a valid one from running.
      const before = this.diagnostics.length;
      const workflow = this.#workflow(name, raw, ["workflows", name]);
      if (this.diagnostics.length > before) this.broken.set(name, this.diagnostics.slice(before));
      else if (workflow) workflows.set(name, workflow);
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
    const steps: StepBase[] = [];
    let ok = true;
    if (parsed.container !== undefined && parsed.container !== false && !this.#check(sandboxSettings, parsed.container, [...path, "container"], where)) ok = false;
    const dependencies = this.#dependencies(parsed.dependencies, parsed.steps, path, where);
    if (dependencies === null) ok = false;
    else if (dependencies) steps.push(dependencies);
    const names = stepNames(parsed.steps, "");
    this.#warnRenamed(parsed.steps, names, path, where, "");
    parsed.steps.forEach((rawStep, index) => {
      const step = this.#step(rawStep, [...path, "steps", index], where, names[index]!, "top");
      // `output` and `viewport`: the step's, else the workflow's; `show`: the workflow's merged key by key with the step's (Atmos).
      if (step && step.presentation?.output !== undefined && attachesTerminal(kindOfStep(step), step)) {
        this.#out.warn([...path, "steps", index, "output"], `${where}, step "${step.name}"`, `"output" is ignored on a step attached to the terminal (tty, interactive): it writes there itself, and Atmos captures nothing either (expected no output, or no tty/interactive)`, "key");
      }
      if (step && OUTPUT_KINDS.has(step.type)) {
        step.presentation = { ...step.presentation, output: step.presentation?.output ?? parsed.output, viewport: step.presentation?.viewport ?? parsed.viewport };
      }
      if (step) step.presentation = { ...step.presentation, show: mergeShow(parsed.show, step.presentation?.show) };
      if (step) steps.push(step);
      else ok = false;
    });
    // A step that takes over the end of the run (exec) must be the last one.
    steps.forEach((step, index) => {
      if (index < steps.length - 1 && kindOfStep(step).behaviours.teardownFirst) {
        this.#out.report([...path, "steps", index, "type"], `${where}, step "${step.name}"`, `type ${step.type} must be the workflow's last step (expected no steps after it; ${steps.length - 1 - index} follow)`);
        ok = false;
      }
    });
    // Background services may reuse a name after cancel; #checkServices judges those.
    // An inline -s loses to the stack muster appends (atmos takes the last one, as in Atmos): probably not meant.
    steps.forEach((step, index) => {
      const stack = (step as StepBase & { stack?: string }).stack ?? parsed.stack;
      const flag = step.type === "atmos" ? inlineStackFlag((step as AtmosStep).words) : undefined;
      if (flag && stack) this.#out.warn([...path, "steps", index, "command"], `${where}, step "${step.name}"`, `the command sets the stack itself (${flag}), but the ${(step as StepBase & { stack?: string }).stack !== undefined ? "step's" : "workflow's"} stack "${stack}" is added after it and wins, as in Atmos (atmos takes the last -s) (expected the stack in one place: the stack: field)`);
    });
    // Atmos allows a name twice at the top (the later result replaces the earlier): a warning.
    this.#warnDuplicateNames(steps.filter((s) => kindOfStep(s).services?.starts?.(s) === undefined), where);
    this.#checkServices(steps, path, where);
    if (!ok) return undefined;
    // Templates are checked once the steps are known: `.steps.X` must name a step that runs before.
    const templateProblems = [...checkTemplates({ name, steps }), ...checkConditionReads({ name, steps })];
    if (templateProblems.length > 0) {
      this.#out.diagnostics.push(...templateProblems);
      return undefined;
    }
    return {
      name,
      description: parsed.description,
      stack: parsed.stack,
      env: parsed.env ?? {},
      workingDirectory: parsed.working_directory,
      steps,
      source: this.#ref(path),
      tools: parsed.dependencies?.tools ?? {},
      show: { header: false, flags: false, command: false, count: false, progress: false, labels: true, ...parsed.show },
      output: parsed.output,
      viewport: parsed.viewport,
      container: parsed.container === false || parsed.container === undefined ? undefined : (parsed.container as Record<string, unknown>),
    };
  }

  /**
   * `dependencies.workflows` and `.commands` as a parallel group at the top
   * (see `src/steps/dependency.ts`): undefined when there are none, null
   * after a reported problem.
   */
  #dependencies(raw: { workflows?: unknown[]; commands?: unknown[] } | undefined, rawSteps: unknown[], path: Path, where: string): StepBase | null | undefined {
    if (!raw || (!raw.workflows?.length && !raw.commands?.length)) return undefined;
    const children: Raw[] = [];
    const seen = new Set<string>();
    let mode: string | undefined;
    let ok = true;
    for (const of of ["workflow", "command"] as const) {
      const list = (of === "workflow" ? raw.workflows : raw.commands) ?? [];
      list.forEach((entry, i) => {
        const checked = this.#check(unitDependency, entry, [...path, "dependencies", `${of}s`, i], where);
        if (checked === undefined) return void (ok = false);
        const ref = typeof checked === "string" ? { name: checked } : checked;
        const flags = Object.fromEntries(Object.entries(ref.flags ?? {}).map(([k, value]) => [k, typeof value === "boolean" ? value : String(value)]));
        const key = JSON.stringify([of, ref.name, ref.file, flags, ref.args]);
        if (seen.has(key)) return; // the same dependency twice runs once, as in Atmos' graph
        seen.add(key);
        mode ??= ref.fail;
        const base = `${of}_${ref.name}`.replace(/[^A-Za-z0-9_-]+/g, "_");
        let name = base;
        for (let n = 2; children.some((c) => c.name === name); n++) name = `${base}_${n}`;
        children.push({ name, type: "dependency", of, target: ref.name, ...(ref.file !== undefined ? { file: ref.file } : {}), flags, args: ref.args ?? [] });
      });
    }
    if (!ok) return null;
    const taken = new Set(rawSteps.map((s) => (isMapping(s) && typeof s.name === "string" ? s.name : "")));
    let name = "dependencies";
    for (let n = 2; taken.has(name); n++) name = `dependencies_${n}`;
    this.#building = true;
    try {
      const group = this.#step({ name, type: "parallel", fail: { mode: mode ?? "wait_all" }, steps: children }, [...path, "dependencies"], where, name, "top");
      return group ?? null;
    } finally {
      this.#building = false;
    }
  }

  #stepType(raw: Raw, path: Path, where: string, placement: Placement): AnyKind | undefined {
    const type = raw.type ?? "atmos";
    const found = typeof type === "string" ? kindOf(type) : undefined;
    const kind = found?.internal && !this.#building ? undefined : found;
    if (!kind && typeof type === "string" && Object.hasOwn(ATMOS_ONLY, type)) {
      const workflow = /^workflow "([^"]+)"/.exec(where)?.[1] ?? "NAME";
      const file = basename(this.#file).replace(/\.ya?ml$/, "");
      this.#out.report([...path, "type"], where, `step type "${type}" belongs to Atmos itself: it ${ATMOS_ONLY[type]}, so muster does not run it (expected a muster step type; to run this workflow as written, use Atmos: atmos workflow ${workflow} -f ${file})`);
      return undefined;
    }
    if (!kind) {
      // With a likely typo, the suggestion is the answer; the whole list only when there is none.
      const hint = typeof type === "string" ? suggest(type, STEP_TYPES) : undefined;
      this.#out.report([...path, "type"], where, hint
        ? `unknown step type ${describeValue(type)}, did you mean "${hint}"? (expected a step type; every type is in docs/step-types.md)`
        : `unknown step type ${describeValue(type)} (expected one of: ${STEP_TYPES.join(", ")})`);
      return undefined;
    }
    if (placement === "child" && !kind.behaviours.concurrent) {
      this.#out.report(
        [...path, "type"],
        where,
        `step type "${type}" is not allowed inside a parallel or matrix step (expected one of: ${CHILD_STEP_TYPES.join(", ")}; concurrent children must be non-interactive)`,
      );
      return undefined;
    }
    return kind;
  }

  /** Builds a step at `path` (top-level, or a child of a group) through its kind. */
  #step(raw: unknown, path: Path, parentWhere: string, name: string, placement: Placement): StepBase | undefined {
    const where = `${parentWhere}, ${placement === "top" ? "step" : "child"} "${name}"`;
    if (!isMapping(raw)) {
      const expected = placement === "top" ? `a map with at least "type" or "command"` : `a map with at least "type" and "command"`;
      this.#out.report(path, where, `got ${describeValue(raw)} (expected ${expected})`);
      return undefined;
    }
    if (placement === "child" && !this.#childKeysAllowed(raw, path, where)) return undefined;
    const kind = this.#stepType(raw, path, where, placement);
    if (!kind) return undefined;
    if (placement === "top" && "needs" in raw) {
      this.#out.report([...path, "needs"], where, `"needs" is only allowed on children of a parallel or matrix step (expected top-level steps to run in order)`, "key");
      return undefined;
    }
    if ("background" in raw && kind.type !== "container") {
      this.#out.report([...path, "background"], where, `"background" is only allowed on container steps (expected type: container)`, "key");
      return undefined;
    }
    const refused = kind.refuse?.(raw) ?? refuseGeneric(kind, placement, raw);
    if (refused) {
      this.#out.report([...path, refused.key], where, refused.text, "key");
      return undefined;
    }
    const parsed = this.#check(stepSchema(kind, placement), raw, path, where) as Raw | undefined;
    if (!parsed) return undefined;
    const when = this.#condition(raw.when, [...path, "when"], where, "when");
    const continueOn = this.#condition(raw.continue, [...path, "continue"], where, "continue");
    if (when === null || continueOn === null) return undefined;
    const base: StepBase = {
      name,
      type: kind.type,
      source: this.#ref(path),
      sourceOf: (field, offset) => this.#ref([...path, ...field], offset),
      when,
      continueOn,
      outputs: parsed.outputs as Record<string, string>,
      needs: (parsed.needs as string[] | undefined) ?? [],
      identity: parsed.identity as string | undefined,
      timeoutMs: parsed.timeout as number | undefined,
      retry: parsed.retry as StepBase["retry"],
      // As written here; the workflow's settings are merged in by #workflow.
      // A group's `output` is its own field (grouped, prefixed, none: the kind reads it), not Atmos' output mode.
      presentation: { output: kind.behaviours.hasChildren ? undefined : (parsed.output as StepPresentation["output"]), viewport: parsed.viewport as StepPresentation["viewport"], show: parsed.show as StepPresentation["show"] },
    };
    const freshness = freshnessOf(parsed);
    if (freshness) base.freshness = freshness;
    return kind.build(parsed, base, this.#buildContext(path, where, name));
  }

  /** Set when a condition is CEL and the CEL library is not loaded: the caller loads it and parses again. */
  needsCel = false;

  /** A `when:`/`continue:` condition; null (reported) when invalid. CEL parts are compiled, when CEL is loaded. */
  #condition(raw: unknown, path: Path, where: string, field: string): Condition | undefined | null {
    if (raw === undefined) return undefined;
    let condition: Condition | undefined;
    try {
      condition = parseCondition(raw, []);
    } catch (error) {
      if (!(error instanceof ConditionError)) throw error;
      this.#out.report([...path, ...error.path], where, `field "${field}": ${error.message}`);
      return null;
    }
    const parts = celParts(condition);
    if (parts.length === 0) return condition;
    if (!loadedCel()) {
      this.needsCel = true;
      return condition;
    }
    let ok = true;
    for (const part of parts) {
      const compiled = compileCelPart(part);
      if ("evaluate" in compiled) continue;
      const at = this.#ref([...path, ...part.path], part.offset + compiled.offset);
      this.#out.diagnostics.push({ file: at.file, line: at.line, col: at.col, message: `${where}: field "${field}": invalid CEL expression ${JSON.stringify(part.expr)}: ${compiled.problem}` });
      ok = false;
    }
    return ok ? condition : null;
  }

  #buildContext(path: Path, where: string, name: string): BuildContext {
    return {
      where,
      report: (field: FieldPath, text: string, part?: "key" | "value", at?: string) => this.#out.report([...path, ...field], at ?? where, text, part),
      warn: (field: FieldPath, text: string, part?: "key" | "value") => this.#out.warn([...path, ...field], where, text, part),
      check: <S extends Schema>(schema: S, value: unknown, field: FieldPath) => this.#check(schema, value, [...path, ...field], where, [...field]),
      children: (raw: unknown[]) => {
        let ok = true;
        const children: StepBase[] = [];
        const names = stepNames(raw, name);
        this.#warnRenamed(raw, names, path, where, name);
        raw.forEach((rawChild, index) => {
          const child = this.#step(rawChild, [...path, "steps", index], where, names[index]!, "child");
          if (child) children.push(child);
          else ok = false;
        });
        return ok ? children : undefined;
      },
    };
  }

  /** Keys that make no sense on a concurrent child, refused with a reason of their own. */
  #childKeysAllowed(raw: Raw, path: Path, where: string): boolean {
    for (const key of ["tty", "interactive", "steps"]) {
      if (key in raw) {
        const rule = key === "steps"
          ? `a child of a parallel or matrix step cannot declare nested "steps" (expected a step of type ${CHILD_STEP_TYPES.join(", ")}; nest groups by sequencing them at the top level)`
          : `a child of a parallel or matrix step cannot set "${key}" (expected a non-interactive step: concurrent children get /dev/null as stdin and never own the terminal)`;
        this.#out.report([...path, key], where, rule, "key");
        return false;
      }
    }
    if ("when" in raw) {
      this.#out.report([...path, "when"], where, `"when" is not allowed on a child of a parallel or matrix step (expected "needs" to order children)`, "key");
      return false;
    }
    for (const key of ["inputs", "artifacts", "preconditions"]) {
      if (key in raw) {
        this.#out.report([...path, key], where, `"${key}" is not allowed on a child of a parallel or matrix step (expected it on a top-level step: freshness is judged for those only, as in Atmos)`, "key");
        return false;
      }
    }
    return true;
  }

  /** An unnamed step whose generated name another step has: renamed as Atmos renames it, with a warning. */
  #warnRenamed(raw: readonly unknown[], names: string[], path: Path, where: string, parent: string): void {
    raw.forEach((step, index) => {
      const plain = parent ? `${parent}_step${index + 1}` : `step${index + 1}`;
      if (names[index] === plain || (isMapping(step) && step.name !== undefined && step.name !== "")) return;
      this.#out.warn([...path, "steps", index], `${where}, ${parent ? "child" : "step"} "${names[index]}"`, `this unnamed step would be "${plain}", which another step is named, so it is named "${names[index]}", as Atmos names it (expected a name: of its own)`);
    });
  }

  #warnDuplicateNames(steps: ReadonlyArray<{ name: string; source: SourceRef }>, where: string): void {
    const seen = new Map<string, SourceRef>();
    for (const step of steps) {
      const first = seen.get(step.name);
      if (!first) {
        seen.set(step.name, step.source);
        continue;
      }
      const workflow = /^workflow "([^"]+)"/.exec(where)?.[1];
      this.#out.warnings.push({
        file: step.source.file, line: step.source.line, col: step.source.col, ...(workflow !== undefined ? { workflow } : {}),
        message: `${where}: step name "${step.name}" is used twice (first at line ${first.line}); it runs, as in Atmos, and its result replaces the first's in .steps.${step.name} (expected unique names)`,
      });
    }
  }

  /** Services named by wait/cancel must have been started earlier and not canceled since; a live service's name is not reused. */
  #checkServices(steps: StepBase[], path: Path, where: string): void {
    const live = new Map<string, SourceRef>();
    steps.forEach((step, index) => {
      const roles = kindOfStep(step).services;
      if (!roles) return;
      const started = roles.starts?.(step);
      if (started !== undefined) {
        const running = live.get(started);
        if (running) {
          this.diagnostics.push({ ...step.source, message: `${where}, step "${step.name}": background service "${started}" is already running (started at line ${running.line}) (expected a unique name, or a cancel step before reusing it)` });
        }
        live.set(started, step.source);
      }
      const targets = roles.targets?.(step) ?? [];
      targets.forEach((target, n) => {
        if (!live.has(target)) {
          const known = [...live.keys()];
          this.#out.report(
            [...path, "steps", index, "for", n],
            `${where}, step "${step.name}"`,
            `${step.type} names "${target}", which is not a background service running at this point (expected ${known.length > 0 ? `one of: ${known.join(", ")}` : "an earlier container step with background: true"})`,
          );
        }
      });
      if (roles.stops) for (const target of targets) live.delete(target);
    });
  }
}

/**
 * The names of a list of raw steps, Atmos' way (pkg/workflow/step_names.go):
 * a step's own `name`, else `step<N>` (`<parent>_step<N>` in a group), with
 * `_` appended until it differs from every other name in the list.
 *
 * @example
 * ```ts
 * stepNames([{ name: "step2" }, {}], ""); // ["step2", "step2_"]
 * ```
 */
export function stepNames(steps: readonly unknown[], parent: string): string[] {
  const own = (raw: unknown) => {
    const name = isMapping(raw) ? raw.name : undefined;
    return typeof name === "string" || typeof name === "number" || typeof name === "boolean" ? String(name) : "";
  };
  const used = new Set(steps.map(own).filter((n) => n !== ""));
  return steps.map((raw, index) => {
    const name = own(raw);
    if (name !== "") return name;
    let candidate = parent ? `${parent}_step${index + 1}` : `step${index + 1}`;
    while (used.has(candidate)) candidate += "_";
    used.add(candidate);
    return candidate;
  });
}

/**
 * `timeout`/`retry` on a kind whose schema has no such field (neither the
 * engine's, by its behaviours, nor its own, as http's): refused with a
 * reason, never silently ignored.
 */
function refuseGeneric(kind: AnyKind, placement: Placement, raw: Raw): { key: string; text: string } | undefined {
  const fields = stepFields(kind, placement);
  for (const generic of ["timeout", "retry"] as const) {
    if (generic in raw && !fields.has(generic)) {
      return { key: generic, text: `"${generic}" is not supported on ${kind.type} steps (expected it only on step types whose runs it can bound or repeat)` };
    }
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
      diagnostics: withYamlHints(text, source.syntaxErrors.map((e) => ({ file, line: e.line, col: e.col, message: `invalid YAML: ${e.message}` }))),
    };
  }
  const parser = new WorkflowParser(file, source);
  const workflowFile = parser.parse();
  const owned = [...parser.broken.values()].reduce((n, list) => n + list.length, 0);
  const fileLevel = workflowFile === undefined || parser.diagnostics.length > owned;
  const sorted = parser.diagnostics.sort((a, b) => a.line - b.line || a.col - b.col);
  const diagnostics = sorted.length > 0 ? withYamlHints(text, sorted) : sorted;
  const value = source.value as { workflows?: unknown } | null | undefined;
  const foreign = value === null || value === undefined || typeof value !== "object" || Array.isArray(value) || !("workflows" in value);
  const declares = !foreign && value!.workflows !== null && typeof value!.workflows === "object" ? Object.keys(value!.workflows as object) : [];
  const needsCel = parser.needsCel || undefined;
  const warnings = parser.warnings.sort((a, b) => a.line - b.line || a.col - b.col);
  if (diagnostics.length === 0) return { workflowFile, diagnostics, warnings, value: source.value, declares, needsCel };
  for (const list of parser.broken.values()) list.sort((a, b) => a.line - b.line || a.col - b.col);
  return { diagnostics, warnings, foreign, declares, broken: parser.broken, fileLevel, workflowFile: fileLevel ? undefined : workflowFile, needsCel };
}

/** A step's `inputs`/`artifacts`/`preconditions`, as validated by `src/steps/freshness-fields.ts`; undefined without any. */
function freshnessOf(parsed: Raw): FreshnessDeclarations | undefined {
  const { inputs, artifacts, preconditions } = parsed as FreshnessDeclarations;
  if (!inputs && !artifacts && !preconditions) return undefined;
  return { ...(inputs ? { inputs } : {}), ...(artifacts ? { artifacts } : {}), ...(preconditions ? { preconditions } : {}) };
}
