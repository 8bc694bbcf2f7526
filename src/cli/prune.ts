/**
 * `muster prune`: removes containers whose muster process is gone, and the
 * runs of the run journal past its retention (`MUSTER_JOURNAL_RETENTION`,
 * 30 days by default, or `--older-than`; never a live run).
 * @module
 */
import { defineCommand } from "./command.ts";
import { DockerClient } from "../docker/client.ts";
import { pruneOrphans } from "../docker/lifecycle.ts";
import { stderr } from "../output/terminal.ts";
import { platform } from "../platform/index.ts";
import { UsageError } from "../errors.ts";
import { EXIT_ENGINE, EXIT_OK } from "../exit-codes.ts";
import { parseDuration } from "../workflow/duration.ts";
import { SUMMARIES } from "./summaries.ts";
import { Journal, KEEP_RUNS, retentionMs } from "../journal/journal.ts";

export default defineCommand({
  meta: { name: "prune", description: SUMMARIES.prune },
  args: {
    force: { type: "boolean", description: "Also remove containers whose muster cannot be seen from here (another host or PID namespace, an older muster): they may belong to a live run" },
    "older-than": { type: "string", description: "Also remove such containers once they are older than DURATION (e.g. 24h), and journal runs that started before it", valueHint: "DURATION" },
  },
  async run({ args }) {
    const olderThanMs = args["older-than"] === undefined ? undefined : parseDuration(args["older-than"]);
    if (args["older-than"] !== undefined && olderThanMs === undefined) throw new UsageError(`--older-than ${JSON.stringify(args["older-than"])}: expected a duration such as 24h`);
    // The journal first: it needs no Docker engine.
    const env = platform.env();
    const retention = olderThanMs ?? retentionMs(env, parseDuration);
    if (retention === undefined) throw new UsageError(`MUSTER_JOURNAL_RETENTION=${JSON.stringify(env.MUSTER_JOURNAL_RETENTION)}: expected a duration such as 720h`);
    const { journal, problem } = Journal.open(env);
    if (problem) await stderr.write(`muster: the run journal ${problem}; its runs were left alone\n`);
    if (journal) {
      const runs = journal.prune({ olderThanMs: retention, keep: KEEP_RUNS });
      await stderr.write(`${runs.length} run${runs.length === 1 ? "" : "s"} removed from the journal (${journal.dir})\n`);
    }
    let docker: DockerClient;
    try {
      docker = await DockerClient.connect(platform.env());
    } catch (error) {
      await stderr.write(`muster: ${(error as Error).message}\n`);
      return EXIT_ENGINE;
    }
    const removed = await pruneOrphans(docker, { force: args.force, olderThanMs });
    for (const c of removed) {
      const why = c.why === "owner gone" ? `owner ${c.owner} is gone` : c.why === "forced" ? `owner ${c.owner} cannot be seen from here (--force)` : `owner ${c.owner} cannot be seen from here, older than ${args["older-than"]}`;
      await stderr.write(`removed ${c.name} (${c.id.slice(0, 12)}), ${why}\n`);
    }
    await stderr.write(`${removed.length} container${removed.length === 1 ? "" : "s"} removed\n`);
    return EXIT_OK;
  },
});
