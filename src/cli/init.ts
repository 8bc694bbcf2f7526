/**
 * `muster init`: writes an `atmos.yaml` and a commented sample workflow into
 * the current directory (or `-C DIR`), refusing to overwrite either unless
 * `--force`, and prints what to run next.
 *
 * @example
 * ```sh
 * mkdir demo && cd demo && muster init && muster workflow hello
 * ```
 * @module
 */
import { defineCommand } from "./command.ts";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { UsageError } from "../errors.ts";
import { EXIT_OK } from "../exit-codes.ts";
import { stderr } from "../output/terminal.ts";
import { platform } from "../platform/index.ts";
import { dirArg } from "./common.ts";
import { INIT_FILES } from "./init-files.ts";
import { SUMMARIES } from "./summaries.ts";

export default defineCommand({
  meta: { name: "init", description: SUMMARIES.init },
  args: {
    force: { type: "boolean", description: "Overwrite atmos.yaml and workflows/hello.yaml when they exist" },
    dir: { ...dirArg, description: "Write the files into DIR instead of the current directory" },
  },
  async run({ args }) {
    const root = resolve(platform.cwd(), args.dir ?? ".");
    const present = INIT_FILES.filter((f) => existsSync(join(root, f.path))).map((f) => f.path);
    if (present.length > 0 && !args.force) {
      throw new UsageError(`init: ${present.join(" and ")} already ${present.length === 1 ? "exists" : "exist"} in ${root}; nothing was written (use --force to overwrite, or run muster init in an empty directory)`);
    }
    for (const file of INIT_FILES) {
      const path = join(root, file.path);
      mkdirSync(dirname(path), { recursive: true });
      // Without --force, "wx" also refuses a file that appeared since the check.
      writeFileSync(path, file.text, { flag: args.force ? "w" : "wx" });
      await stderr.write(`${stderr.colors.green("✓")} wrote ${file.path}\n`);
    }
    const cd = args.dir ? `cd ${args.dir} && ` : "";
    await stderr.write(`\nNext:\n  ${cd}muster workflow hello      # run the sample\n  muster workflow hello --var who=you\n  muster describe hello      # the plan, without running it\n  muster validate            # check every workflow file\n`);
    return EXIT_OK;
  },
});
