/**
 * The runner's log: consola, as text or JSON lines (`LOG_FORMAT=json`), on
 * stderr. Every line passes through the redactor, so no secret is written.
 * @module
 */
import { createConsola, type ConsolaInstance, type LogObject } from "consola";
import { platform } from "../platform/index.ts";
import type { Redactor } from "./redact.ts";

/** A structured logger. */
export type Log = (level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>) => void;

const encoder = new TextEncoder();

/**
 * Creates the logger.
 *
 * @example
 * ```ts
 * const log = createLog("json", redactor);
 * log("info", "run started", { runId: "r1" }); // {"time":"...","level":"info","msg":"run started","runId":"r1"}
 * ```
 */
export function createLog(format: "text" | "json", redactor: Redactor): Log {
  const consola: ConsolaInstance = createConsola({
    level: 3,
    reporters: [
      {
        log(entry: LogObject) {
          const [message, fields = {}] = entry.args as [string, Record<string, unknown>?];
          const level = entry.type === "warn" ? "warn" : entry.type === "error" ? "error" : "info";
          const line =
            format === "json"
              ? JSON.stringify({ time: entry.date.toISOString(), level, msg: message, ...fields })
              : `${entry.date.toISOString()} ${level.toUpperCase().padEnd(5)} ${message}${Object.entries(fields)
                  .map(([k, v]) => ` ${k}=${typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v)}`)
                  .join("")}`;
          platform.write(2, encoder.encode(`${redactor.redact(line)}\n`));
        },
      },
    ],
  });
  return (level, message, fields) => consola[level](message, fields ?? {});
}
