/**
 * `type: emulator`: Atmos' local cloud emulators. muster runs
 * `atmos emulator up|down|reset COMPONENT [-s STACK]` (action `up` by
 * default; the stack is the step's, the workflow's or `-s`). `ephemeral`
 * (an emulator that lives only for one Atmos workflow run) has no atmos
 * command and is refused. Stores "emulator COMPONENT ACTION".
 * @module
 */
import * as v from "valibot";
import { expect, nonEmpty } from "../workflow/schema.ts";
import { atmosDelegate } from "./atmos-delegate.ts";
import { textsOf } from "./message.ts";

/** The emulator step kind. */
export const emulator = atmosDelegate({
  type: "emulator",
  summary: "Start, stop or reset an Atmos emulator (runs atmos emulator)",
  fields: {
    component: nonEmpty,
    action: v.optional(v.picklist(["up", "down", "reset"], expect("one of: up, down, reset")), "up"),
    ephemeral: v.optional(v.boolean(expect("true or false")), false),
  },
  texts(fields, ctx) {
    if (fields.ephemeral) {
      ctx.report(["ephemeral"], `an ephemeral emulator lives inside one Atmos workflow run, which muster cannot share (expected ephemeral: false, with an emulator: action: down step at the end; or run this workflow with atmos workflow)`, "key");
      return undefined;
    }
    return textsOf(fields, ["component", "action"]);
  },
  command: (t, stack) => ({ args: ["emulator", t.action!, t.component!, ...(stack ? ["-s", stack] : [])] }),
  result: (t) => ({ value: `emulator ${t.component} ${t.action}`, values: [], metadata: {} }),
  produces: [],
});
