/**
 * `--junit FILE`: the run as a JUnit XML report, for CI systems that show
 * test results. One testsuite per workflow; one testcase per leaf step and
 * per group child (named `group/child`); a failure carries the exit code,
 * the error and the tail of the step's output; skipped and canceled steps
 * are marked skipped. The file is written when the run ends, interrupted
 * runs included.
 * @module
 */
import { closeSync, writeSync } from "node:fs";
import { openOutputFile } from "../files/owned-path.ts";
import type { RunEvent, RunObserver, StepResult } from "../engine/events.ts";

/** How much of a failed step's output the report keeps. */
export const JUNIT_TAIL_BYTES = 8 * 1024;

const decoder = new TextDecoder();

/** Escapes text for XML, dropping characters XML 1.0 cannot hold. */
export function xmlEscape(text: string): string {
  return text
    // deno-lint-ignore no-control-regex
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/g, "")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

interface Case {
  name: string;
  result: StepResult;
  tail: string;
}

/** Collects results and writes the JUnit report on close. */
export class JunitRenderer implements RunObserver {
  readonly wantsOutput = true;
  #file: string;
  #workflow = "";
  #started = new Date();
  #tails = new Map<string, string>();
  #groups = new Set<string>();
  #cases: Case[] = [];
  #written = false;

  constructor(file: string) {
    this.#file = file;
  }

  emit(event: RunEvent): void | Promise<void> {
    switch (event.type) {
      case "run.start":
        this.#workflow = event.workflow;
        this.#started = new Date();
        return;
      case "group.start":
        this.#groups.add(event.path.join("/"));
        return;
      case "step.output": {
        const key = event.path.join("/");
        const tail = (this.#tails.get(key) ?? "") + decoder.decode(event.data);
        this.#tails.set(key, tail.length > JUNIT_TAIL_BYTES ? tail.slice(-JUNIT_TAIL_BYTES) : tail);
        return;
      }
      case "step.end": {
        const key = event.path.join("/");
        if (this.#groups.has(key)) return; // a group is reported through its children
        this.#cases.push({ name: key, result: event.result, tail: this.#tails.get(key) ?? "" });
        this.#tails.delete(key);
        return;
      }
      case "run.end":
        return this.#write();
    }
  }

  async #write(): Promise<void> {
    if (this.#written) return;
    this.#written = true;
    const cases = this.#cases;
    const failures = cases.filter((c) => c.result.status === "failed").length;
    const skipped = cases.filter((c) => c.result.status === "skipped" || c.result.status === "canceled").length;
    const seconds = (ms: number) => (ms / 1000).toFixed(3);
    const total = cases.reduce((sum, c) => sum + c.result.durationMs, 0);
    const suite = xmlEscape(this.#workflow || "workflow");
    const lines = [
      `<?xml version="1.0" encoding="UTF-8"?>`,
      `<testsuites name="muster" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds(total)}">`,
      `  <testsuite name="${suite}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds(total)}" timestamp="${this.#started.toISOString()}">`,
    ];
    for (const c of cases) {
      const open = `    <testcase name="${xmlEscape(c.name)}" classname="${suite}" time="${seconds(c.result.durationMs)}"`;
      const r = c.result;
      if (r.status === "succeeded") lines.push(`${open}/>`);
      else if (r.status === "failed") {
        const error = r.error;
        const message = `exit code ${r.exitCode}${error ? `: ${error.split("\n")[0]}` : ""}`;
        lines.push(`${open}>`, `      <failure message="${xmlEscape(message)}" type="exit ${r.exitCode}">${xmlEscape([error ?? "", c.tail].filter(Boolean).join("\n\n"))}</failure>`, `    </testcase>`);
      } else {
        lines.push(`${open}>`, `      <skipped message="${xmlEscape(`${r.status}${r.error ? `: ${r.error}` : ""}`)}"/>`, `    </testcase>`);
      }
    }
    lines.push(`  </testsuite>`, `</testsuites>`);
    // Never through a planted symlink, nor into a directory others may write (S10).
    const fd = openOutputFile(this.#file);
    try {
      writeSync(fd, `${lines.join("\n")}\n`);
    } finally {
      closeSync(fd);
    }
  }

  /** Writes the report even when no `run.end` came (an error ended the run early). */
  close(): Promise<void> {
    return this.#write();
  }
}
