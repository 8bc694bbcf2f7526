/**
 * Atmos' decoder (yaml.v3) puts any scalar into a string field as the text it
 * is written as: `command: true` is the command "true", `version: 1.10` is
 * "1.10". muster's schemas ask for strings; this walk finds the numbers and
 * booleans a schema would refuse where it expects only a string, so the
 * parser can take their text instead, with a warning.
 * @module
 */
import type { GenericSchema } from "valibot";

type Keys = Array<string | number>;
type AnySchema = GenericSchema & { type: string; wrapped?: AnySchema; options?: AnySchema[]; entries?: Record<string, AnySchema>; item?: AnySchema };

const unwrap = (schema: AnySchema): AnySchema => {
  let s = schema;
  while ((s.type === "optional" || s.type === "nullish" || s.type === "nullable") && s.wrapped) s = s.wrapped;
  return s;
};

/** Whether `schema` takes a string and no number or boolean (`str`, a union of a string and a list). */
function takesOnlyStrings(schema: AnySchema): boolean {
  const s = unwrap(schema);
  if (s.type === "string") return true;
  if (s.type !== "union" || !s.options) return false;
  const types = s.options.map((o) => unwrap(o).type);
  return types.includes("string") && !types.some((t) => ["number", "boolean", "unknown", "any", "union", "picklist", "literal"].includes(t));
}

/**
 * The paths (below `value`) of numbers and booleans where `schema` takes
 * only a string, walking maps and lists the schema describes.
 *
 * @example
 * ```ts
 * scalarsWhereStrings(v.strictObject({ command: v.string() }), { command: true }); // [["command"]]
 * ```
 */
export function scalarsWhereStrings(schema: GenericSchema, value: unknown, at: Keys = []): Keys[] {
  const s = unwrap(schema as AnySchema);
  const found: Keys[] = [];
  if ((typeof value === "number" || typeof value === "boolean") && takesOnlyStrings(s)) return [at];
  if (value === null || typeof value !== "object") return found;
  if (s.entries && !Array.isArray(value)) {
    for (const [key, item] of Object.entries(value)) {
      const entry = s.entries[key];
      if (entry) found.push(...scalarsWhereStrings(entry, item, [...at, key]));
    }
  } else if (s.type === "array" && s.item && Array.isArray(value)) {
    value.forEach((item, i) => found.push(...scalarsWhereStrings(s.item!, item, [...at, i])));
  }
  return found;
}

/** `value` with the item at `keys` replaced by `text` (copies along the path; the input is not changed). */
export function replaceAt(value: unknown, keys: Keys, text: string): unknown {
  if (keys.length === 0) return text;
  const [key, ...rest] = keys;
  if (Array.isArray(value)) return value.map((item, i) => (i === key ? replaceAt(item, rest, text) : item));
  const map = value as Record<string, unknown>;
  return { ...map, [key!]: replaceAt(map[key as string], rest, text) };
}
