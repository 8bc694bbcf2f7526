import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeUtf8, findProject, listYamlFiles, resolveFileArg } from "./discover.ts";

const root = mkdtempSync(join(tmpdir(), "muster-discover-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, "infra/stacks/workflows/nested"), { recursive: true });
mkdirSync(join(root, "infra/sub/.hidden"), { recursive: true });
writeFileSync(join(root, "infra/atmos.yaml"), "base_path: .\nworkflows:\n  base_path: stacks/workflows\n");
writeFileSync(join(root, "infra/stacks/workflows/deploy.yaml"), "workflows: {}\n");
writeFileSync(join(root, "infra/stacks/workflows/nested/more.yml"), "workflows: {}\n");
writeFileSync(join(root, "infra/stacks/workflows/notes.txt"), "");

test("atmos.yaml is found upward and sets the base and workflows paths", async () => {
  const project = await findProject(join(root, "infra/sub"), {});
  expect(project.configFile).toBe(join(root, "infra/atmos.yaml"));
  expect(project.basePath).toBe(join(root, "infra"));
  expect(project.workflowsDir).toBe(join(root, "infra/stacks/workflows"));
  expect((await findProject(join(root, "infra"), { ATMOS_WORKFLOWS_BASE_PATH: "elsewhere" })).workflowsDir).toBe(join(root, "infra/elsewhere"));
  await expect(findProject(root, { ATMOS_CLI_CONFIG_PATH: "/nonexistent" })).rejects.toThrow("no atmos.yaml there");
});

test("-f resolution and the file search", async () => {
  const project = await findProject(join(root, "infra"), {});
  expect(await resolveFileArg(project, "deploy")).toBe(join(root, "infra/stacks/workflows/deploy.yaml"));
  expect(await resolveFileArg(project, "nested/more")).toBe(join(root, "infra/stacks/workflows/nested/more.yml"));
  await expect(resolveFileArg(project, "missing")).rejects.toThrow('workflow file "missing" not found');
  expect(await listYamlFiles(project.workflowsDir)).toEqual([
    join(root, "infra/stacks/workflows/deploy.yaml"), join(root, "infra/stacks/workflows/nested/more.yml"),
  ]);
});

test("decodeUtf8: text, or the position of the first invalid byte", () => {
  expect(decodeUtf8(new TextEncoder().encode("a: é\n"))).toBe("a: é\n");
  expect(decodeUtf8(new Uint8Array([0x61, 0x0a, 0xc3, 0xa9, 0xff]))).toEqual({ line: 2, col: 2, offset: 4, byte: 0xff });
  expect(decodeUtf8(new Uint8Array([0xe2, 0x82]))).toEqual({ line: 1, col: 1, offset: 0, byte: 0xe2 }); // truncated sequence
  expect(decodeUtf8(new Uint8Array([0xed, 0xa0, 0x80]))).toMatchObject({ offset: 0 }); // a surrogate
  expect(decodeUtf8(new Uint8Array([0x61, 0xc0, 0x80]))).toMatchObject({ offset: 1 }); // an overlong form
  expect(decodeUtf8(new Uint8Array([0xf4, 0x90, 0x80, 0x80]))).toMatchObject({ offset: 0 }); // past U+10FFFF
  expect(decodeUtf8(new Uint8Array([0xef, 0xbb, 0xbf, 0x61, 0xf0, 0x9f, 0x98, 0x80]))).toBe("a😀"); // a BOM is dropped, as before
});
