/**
 * A small JSON Schema checker for the keywords `schemas/*.json` use
 * ($ref to $defs, type, const, enum, required, properties,
 * additionalProperties: false, items, minItems, minimum, oneOf), so the
 * tests can validate muster's output against the published schema without
 * a dependency. Returns the problems found (empty: valid).
 */
type Schema = Record<string, unknown>;

export function validateJson(value: unknown, schema: Schema, root: Schema = schema, at = "$"): string[] {
  if (typeof schema.$ref === "string") {
    const name = schema.$ref.replace("#/$defs/", "");
    return validateJson(value, (root.$defs as Record<string, Schema>)[name]!, root, at);
  }
  const problems: string[] = [];
  const type = schema.type as string | undefined;
  const actual = Array.isArray(value) ? "array" : value === null ? "null" : Number.isInteger(value) ? "integer" : typeof value;
  if (type && !(type === actual || (type === "number" && actual === "integer") || (type === "object" && actual === "object"))) {
    return [`${at}: expected ${type}, got ${actual}`];
  }
  if ("const" in schema && value !== schema.const) problems.push(`${at}: expected ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) problems.push(`${at}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`);
  if (typeof schema.minimum === "number" && typeof value === "number" && value < schema.minimum) problems.push(`${at}: below ${schema.minimum}`);
  if (Array.isArray(value)) {
    if (typeof schema.minItems === "number" && value.length < schema.minItems) problems.push(`${at}: fewer than ${schema.minItems} items`);
    if (schema.items) value.forEach((item, i) => problems.push(...validateJson(item, schema.items as Schema, root, `${at}[${i}]`)));
  }
  if (actual === "object" && value !== null) {
    const object = value as Record<string, unknown>;
    for (const key of (schema.required as string[] | undefined) ?? []) if (!(key in object)) problems.push(`${at}: missing ${key}`);
    const properties = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const [key, item] of Object.entries(object)) {
      if (properties[key]) problems.push(...validateJson(item, properties[key]!, root, `${at}.${key}`));
      else if (schema.additionalProperties === false) problems.push(`${at}: unexpected property ${key}`);
    }
  }
  if (Array.isArray(schema.oneOf)) {
    const passing = (schema.oneOf as Schema[]).filter((option) => validateJson(value, option, root, at).length === 0).length;
    if (passing !== 1) problems.push(`${at}: matches ${passing} of oneOf (expected exactly 1)`);
  }
  return problems;
}
