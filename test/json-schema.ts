/**
 * A small JSON Schema checker for the keywords `schemas/*.json` use
 * ($ref to $defs, type, const, enum, required, properties,
 * additionalProperties (false or a schema), propertyNames, min/maxProperties,
 * items, min/maxItems, minimum, maximum, minLength, maxLength, pattern,
 * oneOf, anyOf, allOf, not, if/then/else), so the tests can validate
 * muster's output and its workflow files against the published schemas
 * without a dependency. Returns the problems found (empty: valid).
 */
type Schema = Record<string, unknown>;

const typeOf = (value: unknown) => (Array.isArray(value) ? "array" : value === null ? "null" : Number.isInteger(value) ? "integer" : typeof value);

export function validateJson(value: unknown, schema: Schema, root: Schema = schema, at = "$"): string[] {
  const problems: string[] = [];
  if (typeof schema.$ref === "string") {
    const name = schema.$ref.replace("#/$defs/", "");
    const target = (root.$defs as Record<string, Schema>)[name];
    if (!target) return [`${at}: $ref ${schema.$ref} names no definition`];
    problems.push(...validateJson(value, target, root, at));
  }
  const actual = typeOf(value);
  const types = schema.type === undefined ? undefined : Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
  if (types && !types.some((type) => type === actual || (type === "number" && actual === "integer"))) {
    return [...problems, `${at}: expected ${types.join(" or ")}, got ${actual}`];
  }
  if ("const" in schema && value !== schema.const) problems.push(`${at}: expected ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) problems.push(`${at}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`);
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) problems.push(`${at}: below ${schema.minimum}`);
    if (typeof schema.maximum === "number" && value > schema.maximum) problems.push(`${at}: above ${schema.maximum}`);
  }
  if (typeof value === "string") {
    const length = [...value].length;
    if (typeof schema.minLength === "number" && length < schema.minLength) problems.push(`${at}: shorter than ${schema.minLength}`);
    if (typeof schema.maxLength === "number" && length > schema.maxLength) problems.push(`${at}: longer than ${schema.maxLength}`);
    if (typeof schema.pattern === "string" && !new RegExp(schema.pattern, "u").test(value)) problems.push(`${at}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === "number" && value.length < schema.minItems) problems.push(`${at}: fewer than ${schema.minItems} items`);
    if (typeof schema.maxItems === "number" && value.length > schema.maxItems) problems.push(`${at}: more than ${schema.maxItems} items`);
    if (schema.items) value.forEach((item, i) => problems.push(...validateJson(item, schema.items as Schema, root, `${at}[${i}]`)));
  }
  if (actual === "object") {
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object);
    for (const key of (schema.required as string[] | undefined) ?? []) if (!(key in object)) problems.push(`${at}: missing ${key}`);
    if (typeof schema.minProperties === "number" && keys.length < schema.minProperties) problems.push(`${at}: fewer than ${schema.minProperties} properties`);
    if (typeof schema.maxProperties === "number" && keys.length > schema.maxProperties) problems.push(`${at}: more than ${schema.maxProperties} properties`);
    const properties = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const [key, item] of Object.entries(object)) {
      if (schema.propertyNames) problems.push(...validateJson(key, schema.propertyNames as Schema, root, `${at}.${key} (name)`));
      if (properties[key]) problems.push(...validateJson(item, properties[key]!, root, `${at}.${key}`));
      else if (schema.additionalProperties === false) problems.push(`${at}: unexpected property ${key}`);
      else if (typeof schema.additionalProperties === "object") problems.push(...validateJson(item, schema.additionalProperties as Schema, root, `${at}.${key}`));
    }
  }
  if (Array.isArray(schema.oneOf)) {
    const passing = (schema.oneOf as Schema[]).filter((option) => validateJson(value, option, root, at).length === 0).length;
    if (passing !== 1) problems.push(`${at}: matches ${passing} of oneOf (expected exactly 1)`);
  }
  if (Array.isArray(schema.anyOf)) {
    const results = (schema.anyOf as Schema[]).map((option) => validateJson(value, option, root, at));
    if (!results.some((r) => r.length === 0)) problems.push(`${at}: matches none of anyOf (${results.map((r) => r[0]).join("; ")})`);
  }
  for (const part of (schema.allOf as Schema[] | undefined) ?? []) problems.push(...validateJson(value, part, root, at));
  if (schema.not && validateJson(value, schema.not as Schema, root, at).length === 0) problems.push(`${at}: matches a schema it must not`);
  if (schema.if) {
    const branch = validateJson(value, schema.if as Schema, root, at).length === 0 ? schema.then : schema.else;
    if (branch) problems.push(...validateJson(value, branch as Schema, root, at));
  }
  return problems;
}
