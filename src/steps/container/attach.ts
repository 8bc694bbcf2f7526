/**
 * A foreground container attached to muster's terminal (`tty: true`,
 * `interactive: true` on a `run`), as `docker run -it` does it over the
 * Engine API: attached (a hijacked connection, `docker/attach.ts`) before
 * it starts, so nothing it writes is missed; with `tty`, a TTY of its own
 * at muster's terminal's size, resized with it; with `interactive`, muster's
 * stdin forwarded (muster's terminal in raw mode when there is a TTY on both
 * sides, so every key, Ctrl-C included, reaches the container; from a pipe,
 * its end ends the container's stdin) and Ctrl-C owned by the step: a
 * SIGINT muster gets is sent to the container, and the run goes on.
 * @module
 */
import type { DockerClient } from "../../docker/client.ts";
import { demuxLogs } from "../../docker/streams.ts";
import { type InputReader, platform } from "../../platform/index.ts";
import type { StepContext } from "../kind.ts";
import { DEFAULT_TERMINAL_SIZE, hostTerminalSize, ownInterrupts } from "../attached-process.ts";

/**
 * Attaches to created container `id`, starts it, streams its output through
 * `forward` until it ends and returns its exit code.
 */
export async function runAttached(
  docker: DockerClient,
  id: string,
  attach: { tty: boolean; stdin: boolean },
  ctx: Pick<StepContext, "stdin">,
  forward: (stream: 1 | 2, data: Uint8Array) => Promise<void>,
): Promise<number> {
  const streams = await docker.attach(id, { stdin: attach.stdin });
  const release = attach.stdin ? ownInterrupts(() => void docker.signalContainer(id, "SIGINT").catch(() => {})) : () => {};
  let input: InputReader | undefined;
  let offResize = () => {};
  try {
    await docker.startContainer(id);
    if (attach.tty) {
      // The engine resizes a running container only; engines before API 1.42 ignore the size given at create, so it is
      // set again now (a command that reads it at its very start may still see 0x0 there, as with docker run -t).
      // One request at a time, in order: an earlier size must never land after a later one.
      let resizing: Promise<void> = Promise.resolve();
      const resize = () => void (resizing = resizing.then(() => docker.resizeContainer(id, hostTerminalSize() ?? DEFAULT_TERMINAL_SIZE)).catch(() => {}));
      resize();
      if (hostTerminalSize()) offResize = platform.onResize(resize);
    }
    if (attach.stdin && ctx.stdin === "inherit") {
      input = platform.openInput({ raw: attach.tty && platform.isTerminal(0) });
      let sent: Promise<void> = Promise.resolve();
      input.onData((chunk) => void (sent = sent.then(() => streams.write(chunk)).catch(() => {})));
      // The end of a piped stdin: on a TTY it is typed (Ctrl-D, which a reading command sees as the end of input), as the
      // engine would hang the TTY up on a closed stdin and drop the container's last output; without one, stdin is closed.
      input.onEnd(() => void (sent = sent.then(() => (attach.tty ? streams.write("\x04") : streams.closeInput())).catch(() => {})));
    } else if (attach.stdin) {
      await streams.closeInput(); // no stdin to give: the container reads the end of its input
    }
    for await (const chunk of demuxLogs(streams.output, attach.tty)) await forward(chunk.stream === 1 ? 1 : 2, chunk.data);
    return await docker.waitContainer(id);
  } finally {
    offResize();
    input?.close();
    release();
    streams.close();
  }
}
