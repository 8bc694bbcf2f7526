/**
 * Run by the platform contract with a pipe as stdin: reads it through
 * `openInput` to its end, prints what it got, closes the reader and never
 * calls exit (a reader that kept the process alive would hang the test).
 */
import { platform } from "../../src/platform/index.ts";

const input = platform.openInput({ raw: true }); // raw is ignored off a terminal
let got = "";
const decoder = new TextDecoder();
input.onData((chunk) => void (got += decoder.decode(chunk)));
input.onEnd(() => {
  input.close();
  platform.write(1, new TextEncoder().encode(`INPUT ${JSON.stringify(got)} END size ${JSON.stringify(platform.terminalSize(0) ?? null)}\n`));
});
