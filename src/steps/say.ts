/**
 * `type: say`: speaks `content` with the text-to-speech program the machine
 * has, as Atmos does: `say` on macOS; `spd-say`, `espeak-ng` or `espeak` on
 * Linux (the first on PATH). `voice` and `rate` (`slow`, `normal`, `fast`)
 * become that program's flags. `print`: `fallback` (default) prints the
 * content on stderr when nothing can speak, `always` prints it too,
 * `never` stays silent. Never fails. Stores the content.
 * @module
 */
import * as v from "valibot";
import { expect, str } from "../workflow/schema.ts";
import type { StepKind } from "./kind.ts";
import { defineKind } from "./define-kind.ts";
import { type MessagePlan, messageParts, type MessageStep, say as write, textsOf, valued } from "./message.ts";

/** A say step. */
export interface SayStep extends MessageStep {
  voice?: string;
  rate: "slow" | "normal" | "fast";
  print: "fallback" | "always" | "never";
}

type Backend = "say" | "spd-say" | "espeak";

/**
 * The argv that speaks `text` with `program` (Atmos' flags per backend).
 *
 * @example
 * ```ts
 * speechArgv("espeak", "/usr/bin/espeak", "hi", "en", "fast"); // ["/usr/bin/espeak", "-v", "en", "-s", "220", "hi"]
 * ```
 */
export function speechArgv(backend: Backend, program: string, text: string, voice: string | undefined, rate: SayStep["rate"]): string[] {
  const voiceArgs = voice && backend !== "spd-say" ? ["-v", voice] : [];
  const rates: Record<Backend, Record<string, string>> = {
    say: { slow: "150", fast: "220" },
    espeak: { slow: "130", fast: "220" },
    "spd-say": { slow: "-30", fast: "30" },
  };
  const flag = backend === "espeak" ? "-s" : "-r";
  const rateArgs = rates[backend][rate] ? [flag, rates[backend][rate]!] : [];
  return [program, ...voiceArgs, ...rateArgs, text];
}

/** The say step kind. */
export const sayStep: StepKind<SayStep, MessagePlan> = defineKind({
  type: "say",
  summary: "Speak a message with the machine's text-to-speech (or print it)",
  ...messageParts<SayStep>("say"),
  fields: () => ({
    content: str,
    voice: v.optional(v.union([str, v.array(str)], expect("a voice name or a list of them"))),
    rate: v.optional(v.picklist(["slow", "normal", "fast"], expect("one of: slow, normal, fast")), "normal"),
    print: v.optional(v.picklist(["fallback", "always", "never"], expect("one of: fallback, always, never")), "fallback"),
  }),
  build: (fields, base) => ({
    ...base,
    type: "say",
    texts: textsOf(fields, ["content"]),
    voice: Array.isArray(fields.voice) ? (fields.voice[0]) : fields.voice,
    rate: fields.rate,
    print: fields.print,
  }),
  async run(planned, ctx) {
    const content = planned.resolved.texts.content!;
    const { print, voice, rate } = planned.step;
    if (print === "always") await write(ctx, 2, content);
    const spoken = await speak(content, voice, rate, ctx).catch(() => false);
    if (!spoken && print === "fallback") await write(ctx, 2, content);
    return valued(content, { spoken });
  },
});

async function speak(text: string, voice: string | undefined, rate: SayStep["rate"], ctx: Parameters<typeof sayStep.run>[1]): Promise<boolean> {
  const { findExecutable } = await import("../engine/find-executable.ts");
  const { platform } = await import("../platform/index.ts");
  const candidates: Array<[string, Backend]> = platform.os === "darwin" ? [["say", "say"]] : [["spd-say", "spd-say"], ["espeak-ng", "espeak"], ["espeak", "espeak"]];
  for (const [name, backend] of candidates) {
    const file = findExecutable(name, ctx.run.env.PATH ?? "");
    if (file === undefined) continue;
    const { runProcess } = await import("../engine/run-process.ts");
    const outcome = await runProcess(speechArgv(backend, file, text, voice, rate), {
      env: ctx.run.env,
      stdout: "null",
      stderr: "null",
      stdin: "null",
      graceMs: ctx.graceMs,
      cancellation: ctx.cancellation,
    });
    return outcome.code === 0;
  }
  return false;
}
