/**
 * Rendering a container step's raw `with:` (templates in its string leaves)
 * at plan time, and checking the result against the action's schema.
 * @module
 */
import * as v from "valibot";
import { PlanError } from "../../errors.ts";
import type { Dialect } from "../../shell/dialect.ts";
import type { FieldPath, PlanScope } from "../kind.ts";

/**
 * Every string under `value`, with its path (the templates of a `with:` or
 * a sandbox's settings).
 *
 * @example
 * ```ts
 * stringLeaves({ image: "a", ports: [{ host: 1 }] }, ["with"]); // [{ path: ["with", "image"], text: "a" }]
 * ```
 */
export function stringLeaves(value: unknown, path: FieldPath): Array<{ path: FieldPath; text: string }> {
  if (typeof value === "string") return [{ path, text: value }];
  if (Array.isArray(value)) return value.flatMap((item, i) => stringLeaves(item, [...path, i]));
  if (value !== null && typeof value === "object") return Object.entries(value).flatMap(([key, item]) => stringLeaves(item, [...path, key]));
  return [];
}

/** `value` with each string replaced by `render(path, text)`. */
function renderLeaves(value: unknown, path: FieldPath, render: (path: FieldPath, text: string) => string): unknown {
  if (typeof value === "string") return render(path, value);
  if (Array.isArray(value)) return value.map((item, i) => renderLeaves(item, [...path, i], render));
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, renderLeaves(item, [...path, key], render)]));
  return value;
}

/**
 * `raw` (written at `path`) with every string rendered, checked again
 * against `schema`: a template may render to something the schema refuses.
 * Throws `PlanError` naming the field. `codeOf` says which fields are read
 * as code, and in which language: those render through `renderCode`, and
 * the variables that carry their values from outside are added to `dataEnv`.
 *
 * @example
 * ```ts
 * renderChecked(pushWith, step.with, ["with"], scope); // { image: "app:1", tags: [...] }
 * ```
 */
export function renderChecked<S extends v.GenericSchema>(
  schema: S,
  raw: unknown,
  path: FieldPath,
  scope: PlanScope,
  codeOf: (path: FieldPath) => Dialect | undefined = () => undefined,
  dataEnv: Record<string, string> = {},
): v.InferOutput<S> {
  const rendered = renderLeaves(raw, path, (at, text) => {
    const code = codeOf(at);
    if (!code) return scope.render({ field: at.join("."), path: at, text });
    const result = scope.renderCode({ field: at.join("."), path: at, text, quoteStyle: "shell", code });
    Object.assign(dataEnv, result.env);
    return result.text;
  });
  const result = v.safeParse(schema, rendered);
  if (!result.success) {
    const issue = result.issues[0];
    const at = [...path, ...(issue.path?.map((p) => p.key as string | number) ?? [])].join(".");
    throw new PlanError(scope.name, `field "${at}": ${JSON.stringify(issue.input)} once rendered (expected ${issue.message})`);
  }
  return result.output;
}
