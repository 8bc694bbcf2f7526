/**
 * `muster schema`: prints the JSON Schema of workflow files, generated from
 * the parser's own schemas (`schemas/workflow.json` is this output).
 *
 * @example
 * ```sh
 * muster schema > schemas/workflow.json
 * ```
 * @module
 */
import { defineCommand } from "./command.ts";
import { EXIT_OK } from "../exit-codes.ts";
import { stdout } from "../output/terminal.ts";
import { workflowJsonSchema } from "../load/workflow-json-schema.ts";
import { SUMMARIES } from "./summaries.ts";

/** The schema as `muster schema` prints it (and `schemas/workflow.json` holds it). */
export const schemaText = async (): Promise<string> => `${JSON.stringify(await workflowJsonSchema(), null, 2)}\n`;

export default defineCommand({
  meta: { name: "schema", description: SUMMARIES.schema },
  async run() {
    await stdout.write(await schemaText());
    return EXIT_OK;
  },
});
