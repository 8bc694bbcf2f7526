/**
 * `muster prune`: removes containers whose muster process is gone.
 * @module
 */
import { defineCommand } from "citty";
import { DockerClient } from "../docker/client.ts";
import { pruneOrphans } from "../engine/services.ts";
import { stderr } from "../output/terminal.ts";
import { platform } from "../platform/index.ts";
import { EXIT_OK } from "../exit-codes.ts";

export default defineCommand({
  meta: { name: "prune", description: "Remove containers left behind by a muster that is no longer running" },
  args: {},
  async run() {
    let docker: DockerClient;
    try {
      docker = await DockerClient.connect(platform.env());
    } catch (error) {
      await stderr.write(`muster: ${(error as Error).message}\n`);
      return 1;
    }
    const removed = await pruneOrphans(docker);
    for (const c of removed) await stderr.write(`removed ${c.name} (${c.id.slice(0, 12)}), owner ${c.owner} is gone\n`);
    await stderr.write(`${removed.length} container${removed.length === 1 ? "" : "s"} removed\n`);
    return EXIT_OK;
  },
});
