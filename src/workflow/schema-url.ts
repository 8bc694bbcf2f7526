/**
 * Where the committed JSON Schema of workflow files (`schemas/workflow.json`)
 * is published: its `$id`, and the `# yaml-language-server: $schema=` line
 * `muster init` writes.
 *
 * @example
 * ```ts
 * `# yaml-language-server: $schema=${WORKFLOW_SCHEMA_URL}`
 * ```
 * @module
 */

/** The published URL of `schemas/workflow.json`. */
export const WORKFLOW_SCHEMA_URL = "https://raw.githubusercontent.com/muster-run/muster/main/schemas/workflow.json";
