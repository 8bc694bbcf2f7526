/**
 * `type: store`: writes a value to a store configured in `atmos.yaml`
 * (`stores:`). muster runs `atmos store set STORE KEY --stdin [--stack S]
 * [--component C]` with the value on stdin (not in argv, where other users
 * could read it). `with: {store, key, value, stack, component}` as in Atmos;
 * `stack` falls back to the step's, the workflow's or `-s`; `action` is
 * empty or `write`. Stores the value, with `store`, `key`, `stack`,
 * `component`.
 * @module
 */
import * as v from "valibot";
import { expect, nonEmpty, str } from "../workflow/schema.ts";
import { atmosDelegate } from "./atmos-delegate.ts";

/** The store step kind. */
export const store = atmosDelegate({
  type: "store",
  summary: "Write a value to an Atmos store (runs atmos store set)",
  fields: {
    action: v.optional(v.picklist(["", "write"], expect('"write" (the only action)')), "write"),
    component: v.optional(str),
    with: v.strictObject(
      { store: nonEmpty, key: nonEmpty, value: v.union([v.string(), v.number(), v.boolean()], expect("a string")), stack: v.optional(str), component: v.optional(str) },
      expect("a map with store, key and value (and optionally stack, component)"),
    ),
  },
  texts(fields) {
    const w = fields.with;
    const texts: Record<string, string> = { "with.store": w.store, "with.key": w.key, "with.value": String(w.value) };
    if (w.stack !== undefined) texts["with.stack"] = w.stack;
    const component = fields.component ?? w.component;
    if (component !== undefined) texts[fields.component !== undefined ? "component" : "with.component"] = component;
    return texts;
  },
  command(t, stack) {
    const s = t["with.stack"] ?? stack;
    const component = t.component ?? t["with.component"];
    return { args: ["store", "set", t["with.store"]!, t["with.key"]!, "--stdin", ...(s ? ["--stack", s] : []), ...(component ? ["--component", component] : [])], stdin: t["with.value"] };
  },
  result: (t, stack) => ({
    value: t["with.value"]!,
    values: [],
    metadata: { store: t["with.store"], key: t["with.key"], stack: t["with.stack"] ?? stack ?? "", component: t.component ?? t["with.component"] ?? "" },
  }),
  produces: ["store", "key", "stack", "component"],
});
