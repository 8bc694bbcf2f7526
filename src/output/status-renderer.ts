/**
 * Live feedback about running work, built on the run events.
 *
 * On a terminal: a status region at the bottom of stderr (the running steps
 * or group children with their elapsed time, services waiting for health,
 * teardown in progress), redrawn in place. Every other write to the terminal
 * erases the region first and redraws it after, so it never interleaves with
 * output lines, and it is erased for good at the end: the transcript keeps
 * no status lines. While a step owns the terminal (a sequential step writing
 * to it directly) the region is hidden. A step with `output: viewport`
 * shows its last lines under its own line (a bounded live region) when
 * stdout is a terminal too.
 *
 * Without a terminal: a heartbeat line, `still running: test (2m30s)`, when
 * nothing was printed for a while (30 s; `MUSTER_HEARTBEAT` sets it), so CI
 * systems that kill silent jobs do not.
 * @module
 */
import type { RunEvent, RunObserver } from "../engine/events.ts";
import { formatDuration } from "../workflow/duration.ts";
import type { Colors } from "./colors.ts";
import type { EchoControl, OutputStream } from "./terminal.ts";

interface Activity {
  label: string;
  since: number;
  detail?: string;
  /** The step's own name (the end of `label`), kept visible when the line is too long. */
  name?: string;
  /** The last line the step printed, for the region. */
  lastLine?: string;
  /** Its unfinished end, until a newline comes. */
  partial?: string;
  /** Atmos' `output: viewport`: the step's last lines, shown under its line (at most `height`, cut to `width`). */
  viewport?: { height: number; width?: number; lines: string[] };
}

/** Lines a viewport shows when its `viewport.height` is not set. */
export const VIEWPORT_HEIGHT = 10;

// deno-lint-ignore no-control-regex
const CONTROL = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|[\x00-\x08\x0b-\x1f\x7f]/g;

/**
 * One region line within `width` columns: the label's end (the step's own
 * name) and the elapsed time stay; a long label loses its start to `…`,
 * the last output line is cut with `…` or left out. @internal
 */
export function fitStatusLine(spin: string, label: string, name: string, elapsed: string, extra: string, width: number): string {
  const fixed = spin.length + 1 + 1 + elapsed.length;
  // The last line gets a third of the row (or what it needs) unless the name needs it.
  const forExtra = extra ? 2 + Math.min(extra.length, Math.max(16, Math.floor(width / 3))) : 0;
  const room = Math.min(Math.max(1, width - fixed), Math.max(width - fixed - forExtra, Math.min(label.length, name.length + 2)));
  let shown = label;
  if (shown.length > room) {
    // Keep the step's own name whole when it fits, else its start.
    shown = name.length + 1 <= room && label.endsWith(name) ? `…${label.slice(label.length - (room - 1))}` : `${label.slice(label.length - name.length, label.length - name.length + room - 1)}…`;
  }
  const head = `${spin} ${shown} ${elapsed}`;
  const rest = width - head.length - 2;
  if (!extra || rest < 4) return head;
  return `${head}  ${extra.length > rest ? `${extra.slice(0, rest - 1)}…` : extra}`;
}

/** Without a terminal, how often a starting or waiting service gets a line. */
export const SERVICE_HEARTBEAT_MS = 10_000;
const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const encoder = new TextEncoder();

/** Options for {@linkcode StatusRenderer}. */
export interface StatusOptions {
  /** muster's real stdout and stderr. */
  stdout: OutputStream;
  stderr: OutputStream;
  /** Draw the live region (stderr is a terminal). */
  live: boolean;
  /** Echo of typed keys, turned off while the region is live (a key typed then would land in it) and back on after. */
  echo?: EchoControl;
  /** Heartbeat after this much silence (no terminal); 0 turns it off. */
  heartbeatMs: number;
  /** Terminal width, to keep each status line on one row. */
  columns?: number;
  /** The clock (tests pass a fake one). */
  now?: () => number;
}

/**
 * Tracks running work from events and shows it: a live region on a
 * terminal, heartbeats otherwise. `stdout`/`stderr` are the streams every
 * other renderer must write through.
 *
 * @example
 * ```ts
 * const status = new StatusRenderer({ stdout, stderr, live: stderr.isTerminal, heartbeatMs: 30_000 });
 * const text = new TextRenderer({ stdout: status.stdout, stderr: status.stderr });
 * const observer = fanOut([text, status]);
 * ```
 */
export class StatusRenderer implements RunObserver {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  #options: StatusOptions;
  #now: () => number;
  #activities = new Map<string, Activity>();
  /** Rows of the region on screen now. */
  #drawn = 0;
  #frame = 0;
  #terminalOwner?: string;
  #lastOutput: number;
  #timer?: ReturnType<typeof setInterval>;
  #closed = false;
  /** Whether the last output ended a line: the region is drawn only there, never after a partial line. */
  #atLineStart = true;
  #pending?: ReturnType<typeof setTimeout>;
  #lastServiceBeat: number;

  /** Whether `viewport` steps are shown here, live (else the text renderer prints them as `log`). */
  get viewportLive(): boolean {
    return this.#options.live && this.#options.stdout.isTerminal;
  }

  constructor(options: StatusOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
    this.#lastOutput = this.#now();
    this.#lastServiceBeat = this.#now();
    this.stdout = this.#wrap(options.stdout);
    this.stderr = this.#wrap(options.stderr);
    const tick = options.live ? 250 : options.heartbeatMs > 0 ? Math.min(1000, options.heartbeatMs) : 0;
    if (tick > 0) {
      this.#timer = setInterval(() => this.#tick(), tick);
      (this.#timer as { unref?: () => void }).unref?.();
    }
  }

  /** A stream whose writes erase the region first and redraw it after. */
  #wrap(stream: OutputStream): OutputStream {
    return {
      isTerminal: stream.isTerminal,
      colors: stream.colors,
      write: (data) => {
        this.#lastOutput = this.#now();
        const text = typeof data === "string" ? data : undefined;
        const tail = text ?? new TextDecoder().decode((data as Uint8Array).subarray(Math.max(0, data.length - 8)));
        if (tail.length > 0) this.#atLineStart = tail.endsWith("\n") || tail.endsWith("\x1b[2K");
        if (this.#drawn === 0) return stream.write(data);
        const erase = this.#erase();
        const redraw = this.#atLineStart ? this.#region() : [];
        this.#drawn = redraw.length;
        // One write for erase + data + redraw keeps them together even with another writer on the fd.
        if (stream === this.#options.stderr && text !== undefined) return stream.write(`${erase}${text}${redraw.join("\n")}`);
        const first = this.#options.stderr.write(erase);
        const done = stream.write(data);
        const last = this.#options.stderr.write(redraw.join("\n"));
        return Promise.all([first, done, last]).then(() => undefined);
      },
    };
  }

  emit(event: RunEvent): void | Promise<void> {
    switch (event.type) {
      case "step.start":
        this.#activities.set(event.path.join("\u0000"), {
          label: event.path.join(" / "),
          name: event.path.at(-1),
          since: this.#now(),
          ...(event.output === "viewport" && this.viewportLive ? { viewport: { height: event.viewport?.height ?? VIEWPORT_HEIGHT, width: event.viewport?.width, lines: [] } } : {}),
        });
        if (event.ownsTerminal) {
          this.#terminalOwner = event.path.join("\u0000");
          // The step gets the terminal as the user set it up (keys it reads are echoed) before it starts: a prompt's raw mode comes after.
          return Promise.all([this.#hide(), this.#echo(true)]).then(() => undefined);
        }
        return this.#redraw();
      case "step.output": {
        const activity = this.#activities.get(event.path.join("\u0000"));
        if (activity && this.#options.live) {
          const text = (activity.partial ?? "") + new TextDecoder().decode(event.data).replace(/\r\n?/g, "\n");
          const lines = text.split("\n");
          activity.partial = lines.pop()!.slice(-4096);
          const clean = lines.map((l) => l.replace(CONTROL, "").trimEnd());
          const last = clean.map((l) => l.trim()).filter(Boolean).at(-1);
          if (last) activity.lastLine = last;
          const view = activity.viewport;
          if (view) {
            view.lines.push(...clean);
            if (view.lines.length > view.height) view.lines.splice(0, view.lines.length - view.height);
            this.#redraw();
          }
        }
        return;
      }
      case "step.end":
        this.#activities.delete(event.path.join("\u0000"));
        if (this.#terminalOwner === event.path.join("\u0000")) this.#terminalOwner = undefined;
        return this.#redraw();
      case "service": {
        const key = `service\u0000${event.name}`;
        if (event.state === "pulling" || event.state === "starting" || event.state === "waiting" || event.state === "removing") {
          const verb = event.state === "pulling" ? "pulling the image for" : event.state === "starting" ? "starting" : event.state === "waiting" ? "waiting for" : "removing";
          const previous = this.#activities.get(key);
          this.#activities.set(key, { label: `${verb} ${event.name}`, since: previous?.label.startsWith(verb) ? previous.since : this.#now(), detail: event.detail });
        } else this.#activities.delete(key);
        return this.#redraw();
      }
      case "run.end":
        return this.close();
      default:
        return;
    }
  }

  #tick(): void {
    if (this.#closed) return;
    if (this.#options.live) {
      this.#frame++;
      void this.#draw();
      return;
    }
    const now = this.#now();
    // Services that are starting or waiting get a line every 10 s of their own: a slow health check is what CI users watch.
    const services = [...this.#activities.entries()].filter(([key]) => key.startsWith("service\u0000"));
    if (services.length > 0 && now - this.#lastServiceBeat >= SERVICE_HEARTBEAT_MS) {
      this.#lastServiceBeat = now;
      for (const [, a] of services) void this.stderr.write(`${a.label} (${formatDuration(now - a.since)}${a.detail ? `, ${a.detail}` : ""})\n`);
      return;
    }
    const silentFor = now - this.#lastOutput;
    if (this.#activities.size === 0 || silentFor < this.#options.heartbeatMs) return;
    const list = [...this.#activities.values()].map((a) => `${a.label} (${formatDuration(now - a.since)})`).join(", ");
    void this.stderr.write(`still running: ${list}\n`);
  }

  /** The region's lines (none while a step owns the terminal or nothing runs). */
  #region(): string[] {
    if (!this.#options.live || this.#closed || this.#terminalOwner !== undefined || this.#activities.size === 0) return [];
    const c: Colors = this.#options.stderr.colors;
    const now = this.#now();
    const width = Math.max(20, (this.#options.columns ?? 80) - 1);
    const spin = SPINNER[this.#frame % SPINNER.length]!;
    const all = [...this.#activities.values()];
    const shown = all.slice(0, 8).flatMap((a) => {
      const last = a.viewport ? undefined : a.lastLine ?? a.partial?.replace(CONTROL, "").trim();
      const extra = [a.detail, last].filter(Boolean).join("  ");
      const head = c.dim(fitStatusLine(spin, a.label, a.name ?? a.label, formatDuration(now - a.since), extra, width));
      if (!a.viewport) return [head];
      // The viewport: the step's last lines, each within the row (and viewport.width), under its line.
      const room = Math.max(1, Math.min(width - 4, a.viewport.width ?? Infinity));
      return [head, ...a.viewport.lines.map((line) => c.dim(`  │ ${line.length > room ? `${line.slice(0, room - 1)}…` : line}`))];
    });
    if (all.length > shown.length) shown.push(c.dim(`  … and ${all.length - shown.length} more`));
    return shown;
  }

  /** Erases the region: the cursor ends at the start of its first row. */
  #erase(): string {
    if (this.#drawn === 0) return "";
    return `\r\x1b[2K${"\x1b[1A\x1b[2K".repeat(this.#drawn - 1)}`;
  }

  /** Redraws soon (at most every 50 ms): a burst of events costs one redraw, not one each. */
  #redraw(): void {
    if (!this.#options.live || this.#pending) return;
    this.#pending = setTimeout(() => {
      this.#pending = undefined;
      if (!this.#closed) void this.#draw();
    }, 50);
  }

  #draw(): void | Promise<void> {
    if (!this.#options.live || !this.#atLineStart) return;
    const lines = this.#region();
    if (this.#drawn === 0 && lines.length === 0) return;
    const text = `${this.#erase()}${lines.join("\n")}`;
    this.#drawn = lines.length;
    // Keys typed while the region shows would land in it: echo is off from its first drawing (a run of steps that
    // own the terminal never draws one, and never calls stty).
    if (lines.length > 0) void this.#echo(false);
    return this.#options.stderr.write(encoder.encode(text));
  }

  #hide(): void | Promise<void> {
    if (this.#drawn === 0) return;
    const erase = this.#erase();
    this.#drawn = 0;
    return this.#options.stderr.write(erase);
  }

  #echoOff = false;
  /** Echo on or off (live only, and only when it changes). */
  #echo(on: boolean): void | Promise<void> {
    const control = this.#options.echo;
    if (!control || !this.#options.live || this.#echoOff === !on) return;
    this.#echoOff = !on;
    return on ? control.on() : control.off();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    clearInterval(this.#timer);
    clearTimeout(this.#pending);
    await this.#hide();
    this.#closed = true;
    await this.#echo(true);
  }
}
