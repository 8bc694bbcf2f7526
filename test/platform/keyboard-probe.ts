/**
 * Run by the platform contract on a pseudo-terminal (through `script`):
 * opens the keyboard, prints READY with what isTerminal and columns say, collects the bytes typed until a `q`,
 * closes the keyboard, and prints what it got and whether the terminal is
 * back in line mode (`stty -a` shows `icanon`, not `-icanon`). It never
 * calls exit: a keyboard that kept the process alive would hang the test.
 */
import { platform } from "../../src/platform/index.ts";

const encoder = new TextEncoder();
const keyboard = platform.openKeyboard();
if (!keyboard) {
  platform.write(1, encoder.encode(`NO-TERMINAL terminals ${([0, 1, 2] as const).map((fd) => platform.isTerminal(fd)).join(",")} columns ${platform.columns(1)}\n`));
} else {
  const got: number[] = [];
  keyboard.onData((chunk) => {
    got.push(...chunk);
    if (!chunk.includes(0x71)) return;
    keyboard.close();
    const stty = platform.spawn(["stty", "-a"], { stdin: "inherit", stdout: "pipe", stderr: "null" });
    void new Response(stty.stdout).text().then((modes) => {
      platform.write(1, encoder.encode(`GOT ${JSON.stringify(got)} LINE-MODE ${/(^|\s)icanon/.test(modes)}\n`));
    });
  });
  const fds = ([0, 1, 2] as const).map((fd) => platform.isTerminal(fd)).join(",");
  platform.write(1, encoder.encode(`READY terminals ${fds} columns ${platform.columns(1)} size ${JSON.stringify(platform.terminalSize(1))}\n`));
}
