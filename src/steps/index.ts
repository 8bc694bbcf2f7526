/**
 * The step kinds muster knows, in the order error messages list them, each
 * loaded only when a file uses its type: a run evaluates the kinds (and
 * their schemas and helpers) of its own steps, not all 45 (about 1.5 ms of
 * every one-step run). Adding a step type is one file under `src/steps/`
 * and one entry here.
 *
 * Loading is asynchronous, lookups are not: `loadKinds` (or
 * `loadAllKinds`) first, then `kindOf`. The loader of workflow files does
 * it for the types a file names (see discover.ts).
 * @module
 */
import type { AnyKind } from "./kind.ts";

/** One kind's entry: its type, its module, and what the parser must know of it before loading it. */
interface KindEntry {
  readonly type: string;
  readonly load: () => Promise<AnyKind>;
  /** `behaviours.concurrent` of the kind (allowed inside parallel/matrix); a test keeps it equal. */
  readonly concurrent?: true;
  /** Built by the parser only, never named in a file. */
  readonly internal?: true;
}

const ENTRIES: readonly KindEntry[] = [
  { type: "atmos", load: () => import("./atmos.ts").then((m) => m.atmos), concurrent: true },
  { type: "shell", load: () => import("./shell.ts").then((m) => m.shell), concurrent: true },
  { type: "sleep", load: () => import("./sleep.ts").then((m) => m.sleep), concurrent: true },
  { type: "env", load: () => import("./env.ts").then((m) => m.env) },
  { type: "parallel", load: () => import("./parallel.ts").then((m) => m.parallel) },
  { type: "matrix", load: () => import("./matrix.ts").then((m) => m.matrix) },
  { type: "container", load: () => import("./container.ts").then((m) => m.container) },
  { type: "wait", load: () => import("./wait.ts").then((m) => m.wait) },
  { type: "wait-all", load: () => import("./wait-all.ts").then((m) => m.waitAll) },
  { type: "cancel", load: () => import("./cancel.ts").then((m) => m.cancel) },
  { type: "toast", load: () => import("./toast.ts").then((m) => m.toast) },
  { type: "log", load: () => import("./log.ts").then((m) => m.log) },
  { type: "hint", load: () => import("./hint.ts").then((m) => m.hint) },
  { type: "format", load: () => import("./format.ts").then((m) => m.format) },
  { type: "alert", load: () => import("./alert.ts").then((m) => m.alert) },
  { type: "stage", load: () => import("./stage.ts").then((m) => m.stage) },
  { type: "linebreak", load: () => import("./linebreak.ts").then((m) => m.linebreak) },
  { type: "clear", load: () => import("./clear.ts").then((m) => m.clear) },
  { type: "title", load: () => import("./title.ts").then((m) => m.title) },
  { type: "join", load: () => import("./join.ts").then((m) => m.join) },
  { type: "exit", load: () => import("./exit.ts").then((m) => m.exit) },
  { type: "require", load: () => import("./require.ts").then((m) => m.requireStep) },
  { type: "assert", load: () => import("./require.ts").then((m) => m.assertStep) },
  { type: "say", load: () => import("./say.ts").then((m) => m.sayStep) },
  { type: "markdown", load: () => import("./markdown.ts").then((m) => m.markdown) },
  { type: "table", load: () => import("./table.ts").then((m) => m.table) },
  { type: "style", load: () => import("./style.ts").then((m) => m.style) },
  { type: "pager", load: () => import("./pager.ts").then((m) => m.pager) },
  { type: "spin", load: () => import("./spin.ts").then((m) => m.spin) },
  { type: "script", load: () => import("./script.ts").then((m) => m.script), concurrent: true },
  { type: "input", load: () => import("./input.ts").then((m) => m.input) },
  { type: "confirm", load: () => import("./confirm.ts").then((m) => m.confirm) },
  { type: "choose", load: () => import("./choose.ts").then((m) => m.choose) },
  { type: "filter", load: () => import("./filter.ts").then((m) => m.filter) },
  { type: "file", load: () => import("./file.ts").then((m) => m.file) },
  { type: "write", load: () => import("./write.ts").then((m) => m.write) },
  { type: "archive", load: () => import("./archive.ts").then((m) => m.archive) },
  { type: "junit", load: () => import("./junit.ts").then((m) => m.junit) },
  { type: "http", load: () => import("./http.ts").then((m) => m.http) },
  { type: "webhook", load: () => import("./http.ts").then((m) => m.webhook) },
  { type: "emulator", load: () => import("./emulator.ts").then((m) => m.emulator) },
  { type: "store", load: () => import("./store.ts").then((m) => m.store) },
  { type: "tflint", load: () => import("./tflint.ts").then((m) => m.tflint) },
  { type: "exec", load: () => import("./exec.ts").then((m) => m.exec) },
  { type: "dependency", load: () => import("./dependency.ts").then((m) => m.dependency), concurrent: true, internal: true },
];

const ENTRY_BY_TYPE = new Map(ENTRIES.map((entry) => [entry.type, entry]));
const LOADED = new Map<string, AnyKind>();

/**
 * Loads the kinds of `types` (unknown types are ignored: the parser
 * reports them).
 *
 * @example
 * ```ts
 * await loadKinds(["shell", "sleep"]);
 * kindOf("shell")?.behaviours.retry; // true
 * ```
 */
export async function loadKinds(types: Iterable<string>): Promise<void> {
  const wanted = [...new Set(types)].filter((type) => !LOADED.has(type) && ENTRY_BY_TYPE.has(type));
  const kinds = await Promise.all(wanted.map((type) => ENTRY_BY_TYPE.get(type)!.load()));
  for (const kind of kinds) LOADED.set(kind.type, kind);
}

/** Loads every kind; the kinds, in order (for the JSON schema and the kinds' own tests). */
export async function loadAllKinds(): Promise<readonly AnyKind[]> {
  await loadKinds(ENTRY_BY_TYPE.keys());
  return ENTRIES.map((entry) => LOADED.get(entry.type)!);
}

/**
 * The kind of a step type, or undefined for an unknown type. Throws for a
 * known type whose kind was not loaded: a caller that skipped `loadKinds`.
 *
 * @example
 * ```ts
 * kindOf("shell")?.behaviours.retry; // true (after loadKinds(["shell"]))
 * ```
 */
export function kindOf(type: string): AnyKind | undefined {
  const kind = LOADED.get(type);
  if (kind || !ENTRY_BY_TYPE.has(type)) return kind;
  throw new Error(`internal error: the "${type}" step kind was not loaded (call loadKinds first)`);
}

/** The kind of a step that was built by the parser (its type is known). */
export function kindOfStep(step: { type: string }): AnyKind {
  const kind = kindOf(step.type);
  if (!kind) throw new Error(`no step kind "${step.type}"`);
  return kind;
}

/** The step types, for "expected one of: ..." messages. */
export const STEP_TYPES: readonly string[] = ENTRIES.filter((entry) => !entry.internal).map((entry) => entry.type);

/**
 * The step types a workflow file may need: every string under a `type`
 * key anywhere in `value` (more than needed is harmless: those are loaded,
 * unknown ones ignored), and the types the parser adds itself: `atmos` for
 * a mapping in a `steps` list without a `type`, `parallel` and
 * `dependency` where a `dependencies` key is.
 *
 * @example
 * ```ts
 * typesNamedIn({ workflows: { w: { steps: [{ type: "shell" }, { command: "x" }] } } }); // Set { "shell", "atmos" }
 * ```
 */
export function typesNamedIn(value: unknown): Set<string> {
  const types = new Set<string>();
  const walk = (v: unknown, key: string, depth: number): void => {
    if (depth > 64 || v === null || typeof v !== "object") return;
    if (Array.isArray(v)) {
      for (const item of v) {
        if (key === "steps" && item !== null && typeof item === "object" && !Array.isArray(item) && !("type" in item)) types.add("atmos");
        walk(item, key, depth + 1);
      }
      return;
    }
    for (const [name, inner] of Object.entries(v)) {
      if (name === "type" && typeof inner === "string") types.add(inner);
      else {
        if (name === "dependencies") types.add("parallel").add("dependency");
        walk(inner, name, depth + 1);
      }
    }
  };
  walk(value, "", 0);
  return types;
}

/**
 * Step types that only Atmos can run (no atmos command does the same work):
 * refused at validation with why and what to do instead.
 */
export const ATMOS_ONLY: Readonly<Record<string, string>> = {
  workdir: "vendors a source into a working directory through Atmos' provisioner, which has no atmos command muster could run",
  cast: "records the workflow's own terminal session as an asciicast from inside Atmos",
  simulate: "is a child of cast, which records a terminal session from inside Atmos",
};

/** The step types allowed inside `parallel`/`matrix`. */
export const CHILD_STEP_TYPES: readonly string[] = ENTRIES.filter((entry) => entry.concurrent && !entry.internal).map((entry) => entry.type);
