import { expect, test } from "bun:test";
import * as v from "valibot";
import { sandboxSettings } from "./fields.ts";
import { sandboxName, sandboxSpec } from "./sandbox.ts";

const settings = (w: Record<string, unknown>) => v.parse(sandboxSettings, w);

test("sandboxSpec: a container kept alive by a loop that exits on TERM, the host root at the workspace, mounts relative to it", () => {
  const spec = sandboxSpec({ key: "workflow", settings: settings({ image: "alpine:3.20", shell: "/bin/ash", workspace_read_only: true, mounts: [{ source: "$CACHE", target: "/cache" }, { source: "out", target: "/out" }], cleanup: "on_success" }), hostRoot: "/repo", own: false }, { CACHE: "/var/cache" });
  expect(spec.entrypoint).toEqual(["/bin/ash", "-c", "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"]);
  expect(spec.volumes).toEqual([
    { type: "bind", source: "/repo", target: "/workspace", readOnly: true },
    { type: "bind", source: "/var/cache", target: "/cache", readOnly: false },
    { type: "bind", source: "/repo/out", target: "/out", readOnly: false },
  ]);
  expect(spec).toMatchObject({ image: "alpine:3.20", workdir: "/workspace", stopTimeoutMs: 2000, cleanup: "on_success", pull: "missing", labels: {} });
});

test("sandboxSpec: run_args muster does not understand fail the sandbox, saying which", () => {
  expect(() => sandboxSpec({ key: "step:lint", settings: settings({ image: "alpine:3.20", run_args: ["--gpus", "all"] }), hostRoot: "/repo", own: true }, {}))
    .toThrow(/^sandbox: run_args: .*--gpus/);
});

test("sandboxName: the workflow's sandbox and a step's own", () => {
  expect(sandboxName({ key: "workflow" })).toBe("sandbox");
  expect(sandboxName({ key: "step:lint" })).toBe("lint-sandbox");
});
