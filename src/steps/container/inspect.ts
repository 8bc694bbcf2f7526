/**
 * `action: inspect`: an image's curated metadata, printed as a table and
 * kept as the step's result (Atmos' keys: `image_id`, `repo_tags`,
 * `repo_digests`, `size`, `created`, `architecture`, `os`).
 * @module
 */
import * as v from "valibot";
import type { DockerClient, ImageInspect } from "../../docker/client.ts";
import { EXIT_OK } from "../../exit-codes.ts";
import { expect } from "../../workflow/schema.ts";
import type { StepContext, StepOutcome } from "../kind.ts";
import { bool, imageReference, provider } from "./fields.ts";
import { renderChecked } from "./render.ts";
import { formatSize } from "./size.ts";
import type { ContainerActionKind, InspectPlan } from "./types.ts";

/** `with:` of `action: inspect`. */
export const inspectWith = v.strictObject(
  { provider, runtime_auto_start: v.optional(bool), image: imageReference },
  expect("a map with image"),
);

export type InspectWith = v.InferOutput<typeof inspectWith>;

/** `action: inspect`. */
export const inspectAction: ContainerActionKind<InspectWith, InspectPlan> = {
  schema: inspectWith,
  problems: () => [],
  plan: (step, scope) => ({ action: "inspect", image: renderChecked(inspectWith, step.with, ["with"], scope).image }),
  describe: (plan) => `inspect ${plan.image}`,
  viewText: (plan) => ({ head: "container, inspect", lines: [`image ${plan.image}`] }),
  run: (name, plan, ctx) => ctx.services().withEngine(name, (docker) => inspect(docker, plan.image, ctx)),
};

/**
 * The table an inspect prints: one `key  value` line per row, keys padded to one width.
 *
 * @example
 * ```ts
 * imageTable("app:1", { Id: "sha256:ab…", Size: 5_000_000 }); // "image     app:1\nid        sha256:ab…\n…size      5.0 MB\n…"
 * ```
 */
export function imageTable(image: string, found: ImageInspect): string {
  const rows: Array<[string, string]> = [
    ["image", image],
    ["id", found.Id],
    ["tags", (found.RepoTags ?? []).join(", ") || "(none)"],
    ["digests", (found.RepoDigests ?? []).join(", ") || "(none: not pushed or pulled)"],
    ["size", formatSize(found.Size ?? 0)],
    ["created", found.Created ?? ""],
    ["platform", `${found.Os ?? "?"}/${found.Architecture ?? "?"}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, val]) => `${k.padEnd(width)}  ${val}\n`).join("");
}

async function inspect(docker: DockerClient, image: string, ctx: StepContext): Promise<StepOutcome> {
  const found = await docker.inspectImage(image);
  if (!found) return { status: "failed", exitCode: 1, error: `image "${image}" is not present on the engine (expected a built or pulled image)` };
  await ctx.write(1, new TextEncoder().encode(imageTable(image, found)));
  return {
    status: "succeeded",
    exitCode: EXIT_OK,
    value: {
      value: image,
      values: found.RepoTags ?? [],
      metadata: {
        image, image_id: found.Id, repo_tags: found.RepoTags ?? [], repo_digests: found.RepoDigests ?? [], size: found.Size ?? 0,
        created: found.Created ?? "", architecture: found.Architecture ?? "", os: found.Os ?? "", exit_code: 0,
      },
    },
  };
}
