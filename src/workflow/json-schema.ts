/**
 * Turns valibot schemas into JSON Schema (2020-12), so that the schema
 * editors read is generated from the very schemas the parser checks with,
 * never kept by hand. It describes what may be *written* (a transform's
 * input, a default as written); checks that JSON Schema cannot say
 * (`v.check`) are left to `muster validate`.
 *
 * A field the parser checks in a second pass (`v.unknown()` in the first
 * schema) is filled in by `fill`, called with the field's path inside the
 * schema being converted.
 *
 * @example
 * ```ts
 * toJsonSchema(v.strictObject({ name: v.string(), n: v.optional(v.number(), 1) }));
 * // { type: "object", properties: { name: { type: "string" }, n: { type: "number", default: 1 } },
 * //   required: ["name"], additionalProperties: false }
 * ```
 * @module
 */
import type * as v from "valibot";

/** A JSON Schema (a plain JSON object). */
export type JsonSchema = { [key: string]: unknown };

/** Supplies the schema of a field the valibot schema leaves open (`v.unknown()`); undefined: convert as written. */
export type Fill = (path: readonly string[]) => JsonSchema | undefined;

// The parts of valibot's schema objects the walker reads (their public shape in valibot 1.x).
interface Node {
  kind: "schema" | "validation" | "transformation" | "metadata";
  type: string;
  pipe?: Node[];
  wrapped?: Node;
  default?: unknown;
  options?: unknown[];
  entries?: Record<string, Node>;
  item?: Node;
  key?: Node;
  value?: Node;
  literal?: unknown;
  requirement?: unknown;
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/**
 * The JSON Schema of `schema`; `fill` supplies fields the parser checks in a
 * second pass. Throws on a valibot schema type it does not know, so a new
 * kind of schema cannot silently become "anything".
 *
 * @example
 * ```ts
 * toJsonSchema(v.picklist(["a", "b"])); // { enum: ["a", "b"] }
 * ```
 */
export function toJsonSchema(schema: v.GenericSchema, fill: Fill = () => undefined): JsonSchema {
  return walk(schema as unknown as Node, [], fill);
}

function walk(node: Node, path: readonly string[], fill: Fill): JsonSchema {
  const filled = path.length > 0 ? fill(path) : undefined;
  if (filled) return filled;
  if (node.pipe) return piped(node.pipe, path, fill);
  switch (node.type) {
    case "string":
      return { type: "string" };
    case "number":
      return { type: "number" };
    case "boolean":
      return { type: "boolean" };
    case "null":
      return { type: "null" };
    case "literal":
      return { const: node.literal };
    case "picklist":
      return { enum: [...node.options!] };
    case "unknown":
    case "any":
      return {};
    case "custom":
      // Only a pipe's schema gives a custom check a shape (mapOf: a custom "is a map", then a record).
      return {};
    case "optional":
    case "nullish": {
      const inner = walk(node.wrapped!, path, fill);
      const d = node.default;
      return d === undefined || typeof d === "function" || (typeof d === "object" && d !== null && Object.keys(d).length > 0) ? inner : { ...inner, default: d };
    }
    case "nullable":
      return { anyOf: [walk(node.wrapped!, path, fill), { type: "null" }] };
    case "union":
      return { anyOf: (node.options as Node[]).map((option) => walk(option, path, fill)) };
    case "array":
      return { type: "array", items: walk(node.item!, [...path, "*"], fill) };
    case "record": {
      const keys = walk(node.key!, [], fill);
      return { type: "object", ...(keys.pattern ? { propertyNames: keys } : {}), additionalProperties: walk(node.value!, [...path, "*"], fill) };
    }
    case "object":
    case "loose_object":
    case "strict_object": {
      const properties: Record<string, JsonSchema> = {};
      const required: string[] = [];
      for (const [key, entry] of Object.entries(node.entries!)) {
        const at = [...path, key];
        properties[key] = walk(entry, at, fill);
        if (!["optional", "nullish", "exact_optional"].includes(entry.type)) required.push(key);
      }
      return {
        type: "object",
        properties,
        ...(required.length > 0 ? { required } : {}),
        ...(node.type === "strict_object" ? { additionalProperties: false } : {}),
      };
    }
    default:
      throw new Error(`toJsonSchema: valibot schema type "${node.type}" is not supported (add it to src/workflow/json-schema.ts)`);
  }
}

/** A pipe: its first schema, narrowed by the schemas and validations after it. */
function piped(pipe: Node[], path: readonly string[], fill: Fill): JsonSchema {
  let out = walk({ ...pipe[0]!, pipe: undefined }, path, fill);
  for (const step of pipe.slice(1)) {
    if (step.kind === "schema") {
      out = { ...out, ...walk(step, path, fill) };
      continue;
    }
    if (step.kind !== "validation") continue; // transforms change the output, not what may be written
    const req = step.requirement;
    const isArray = out.type === "array";
    switch (step.type) {
      case "min_length":
        out = { ...out, [isArray ? "minItems" : "minLength"]: req };
        break;
      case "max_length":
        out = { ...out, [isArray ? "maxItems" : "maxLength"]: req };
        break;
      case "integer":
        out = { ...out, type: "integer" };
        break;
      case "min_value":
        out = { ...out, minimum: req };
        break;
      case "max_value":
        out = { ...out, maximum: req };
        break;
      case "regex":
        if ((req as RegExp).flags.replace(/[gu]/g, "") === "") out = { ...out, pattern: (req as RegExp).source };
        break;
      case "starts_with":
        out = { ...out, pattern: `^${escapeRegex(String(req))}` };
        break;
      default:
        break; // check and the like: muster validate says what JSON Schema cannot
    }
  }
  return out;
}
