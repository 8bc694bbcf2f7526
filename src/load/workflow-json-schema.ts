/**
 * The JSON Schema of workflow files, for editors (`# yaml-language-server:
 * $schema=...`), built from the parser's own schemas: the file's and a
 * workflow's (`schema.ts`), every step kind's at the top and inside a group
 * (`steps/schema.ts`), and the schemas the parser applies in a second pass
 * (a container's `with:` per action, the sandbox, a group's `output`, a
 * matrix, dependencies, conditions). `muster schema` prints it;
 * `schemas/workflow.json` is this, committed, and a test keeps them equal.
 *
 * @example
 * ```ts
 * const schema = await workflowJsonSchema();
 * Object.keys(schema.$defs); // ["file", "workflow", "step", "child-step", "condition", "step.atmos", ...]
 * ```
 * @module
 */
import type * as v from "valibot";
import { SCHEMAS as CONTAINER_WITH } from "../steps/container.ts";
import { stepContainer } from "../steps/container/fields.ts";
import { unitDependency } from "../steps/dependency.ts";
import { loadAllKinds } from "../steps/index.ts";
import type { AnyKind, Placement } from "../steps/kind.ts";
import { stepSchema } from "../steps/schema.ts";
import { PREDICATES } from "../workflow/condition.ts";
import { type Fill, type JsonSchema, toJsonSchema } from "../workflow/json-schema.ts";
import { WORKFLOW_SCHEMA_URL } from "../workflow/schema-url.ts";
import { manifestSchema, matrixAxis, matrixCombinations, outputMode, outputSettings, workflowSchema } from "../workflow/schema.ts";


const ref = (name: string): JsonSchema => ({ $ref: `#/$defs/${name}` });

/** A regex source matching `words` in any case, as the parser compares them (JSON Schema patterns take no flags). */
function anyCase(words: readonly string[]): string {
  const letters = (word: string) => [...word].map((ch) => (/[a-z]/i.test(ch) ? `[${ch.toLowerCase()}${ch.toUpperCase()}]` : ch)).join("");
  return `^\\s*(?:${words.map(letters).join("|")})\\s*$`;
}

/** `when:`/`continue:`, as `parseCondition` reads them: a predicate (any case) or a CEL expression, true/false, a list (all), or one of all/any/not. */
function conditionSchema(): JsonSchema {
  return {
    description: `a condition: one of ${PREDICATES.join(", ")}, or any other string as a CEL expression ("!cel expr" forces CEL); a list of conditions (all must hold); or a map with one of all, any, not`,
    anyOf: [
      { type: "boolean" },
      { type: "string", description: `one of ${PREDICATES.join(", ")} (any case), else a CEL expression` },
      { type: "array", items: ref("condition") },
      { type: "object", minProperties: 1, maxProperties: 1, propertyNames: { pattern: anyCase(["all", "any", "not"]) }, additionalProperties: ref("condition") },
    ],
  };
}

const eq = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The fields of a step the parser checks in a second pass. */
function stepFill(kind: AnyKind): Fill {
  return (path) => {
    if (eq(path, ["when"]) || eq(path, ["continue"])) return ref("condition");
    if (kind.behaviours.hasChildren && eq(path, ["steps", "*"])) return ref("child-step");
    if (kind.behaviours.hasChildren && eq(path, ["output"])) return { anyOf: [toJsonSchema(outputMode), toJsonSchema(outputSettings)] };
    if (kind.type === "matrix" && eq(path, ["matrix"])) {
      const combinations = toJsonSchema(matrixCombinations);
      return { type: "object", minProperties: 1, properties: { include: combinations, exclude: combinations }, additionalProperties: toJsonSchema(matrixAxis) };
    }
    if (kind.type === "container" && eq(path, ["with"])) return { type: "object" };
    if (eq(path, ["container"])) return toJsonSchema(stepContainer);
    return undefined;
  };
}

/** A container step's `with:` follows its `action` (missing or "": run). */
function containerWith(): JsonSchema[] {
  const actions = Object.keys(CONTAINER_WITH) as Array<keyof typeof CONTAINER_WITH>;
  return actions.map((action) => ({
    if: action === "run"
      ? { anyOf: [{ not: { required: ["action"] } }, { properties: { action: { enum: ["run", ""] } }, required: ["action"] }] }
      : { properties: { action: { const: action } }, required: ["action"] },
    then: { properties: { with: toJsonSchema(CONTAINER_WITH[action] as v.GenericSchema) } },
  }));
}

/** One kind's step at one placement. */
function stepDef(kind: AnyKind, placement: Placement): JsonSchema {
  const def = toJsonSchema(stepSchema(kind, placement), stepFill(kind));
  const properties = { ...(def.properties as Record<string, JsonSchema>), type: { const: kind.type } };
  return {
    description: kind.summary,
    ...def,
    properties,
    ...(kind.type === "container" ? { allOf: containerWith() } : {}),
  };
}

/** A step of any kind allowed at `placement`, told apart by `type` (missing: atmos). */
function dispatch(kinds: readonly AnyKind[], placement: Placement): JsonSchema {
  const name = (kind: AnyKind) => (placement === "top" ? `step.${kind.type}` : `child-step.${kind.type}`);
  return {
    type: "object",
    properties: { type: { enum: kinds.map((kind) => kind.type) } },
    allOf: [
      ...kinds.map((kind) => ({ if: { properties: { type: { const: kind.type } }, required: ["type"] }, then: ref(name(kind)) })),
      { if: { not: { required: ["type"] } }, then: ref(name(kinds.find((kind) => kind.type === "atmos")!)) },
    ],
  };
}

/**
 * The whole JSON Schema document of a workflow file.
 *
 * @example
 * ```ts
 * JSON.stringify(await workflowJsonSchema(), null, 2); // what `muster schema` prints
 * ```
 */
export async function workflowJsonSchema(): Promise<JsonSchema> {
  const top = (await loadAllKinds()).filter((kind) => !kind.internal);
  const child = top.filter((kind) => kind.behaviours.concurrent);
  const defs: Record<string, JsonSchema> = {
    file: toJsonSchema(manifestSchema, (path) => (eq(path, ["workflows", "*"]) ? ref("workflow") : undefined)),
    workflow: toJsonSchema(workflowSchema, (path) => {
      if (eq(path, ["steps", "*"])) return ref("step");
      if (eq(path, ["container"])) return toJsonSchema(stepContainer);
      if (eq(path, ["dependencies", "workflows", "*"]) || eq(path, ["dependencies", "commands", "*"])) return toJsonSchema(unitDependency);
      return undefined;
    }),
    step: dispatch(top, "top"),
    "child-step": dispatch(child, "child"),
    condition: conditionSchema(),
  };
  for (const kind of top) defs[`step.${kind.type}`] = stepDef(kind, "top");
  for (const kind of child) defs[`child-step.${kind.type}`] = stepDef(kind, "child");
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: WORKFLOW_SCHEMA_URL,
    title: "muster workflow file",
    description: "An Atmos-format workflow file as muster runs it (generated by `muster schema` from muster's own parser schemas)",
    $ref: "#/$defs/file",
    $defs: defs,
  };
}
