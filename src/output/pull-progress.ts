/**
 * Image progress (pulls, builds, pushes): one updating line on a TTY,
 * plain lines otherwise (only status changes, not every byte count).
 * @module
 */
import type { OutputStream } from "./terminal.ts";

/** Progress reporting for one pull. */
export interface PullProgress {
  update(event: { status?: string; id?: string; progress?: string }): void;
  done(): void;
}

const NOISY = /^(Downloading|Extracting|Waiting|Verifying Checksum|Preparing|Pushing)$/;

/** Creates the progress display for `image` onto `out` (`verb`: what is done to it). */
export function pullProgress(image: string, out: OutputStream, verb = "pulling"): PullProgress {
  const c = out.colors;
  let shown = false;
  return {
    update(event) {
      const text = [event.id, event.status, event.progress].filter(Boolean).join(" ");
      if (out.isTerminal) {
        out.write(`\r\x1b[2K${c.dim(`${verb} ${image}:`)} ${text.slice(0, 100)}`);
        shown = true;
      } else if (event.status && !NOISY.test(event.status)) {
        out.write(`${c.dim(`${verb} ${image}:`)} ${[event.id, event.status].filter(Boolean).join(" ")}\n`);
      }
    },
    done() {
      if (shown) out.write("\r\x1b[2K");
    },
  };
}
